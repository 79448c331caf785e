"""One normalizer per vendor. Each module exposes:

    NAME: str                                  the source name, as in POST /alerts/{NAME}
    def matches(event: Mapping) -> bool        cheap shape test used to detect the source
    def normalize(event: Any) -> Alert         raises AlertRejected, and nothing else

SOURCES is the registry, in detection order: the most specific shapes first.
The generic, YAML-configured mappings are tried after these (bot.alerts.sources.generic.source).
"""

from __future__ import annotations

from types import ModuleType

from bot.alerts.sources import (
    aws_cloudtrail,
    aws_guardduty,
    azure_activity,
    crowdstrike,
    entra_id,
    gcp,
    github,
    google_workspace,
    okta,
)

SOURCES: dict[str, ModuleType] = {
    module.NAME: module
    for module in (
        aws_guardduty,
        aws_cloudtrail,
        okta,
        entra_id,
        azure_activity,
        google_workspace,
        gcp,
        github,
        crowdstrike,
    )
}
