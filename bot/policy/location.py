"""Which policy file governs: the one named, else ./policy.yaml, else the starter that ships."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.bundled import POLICY_NAME, default_policy
from bot.config import Settings

log = logging.getLogger(__name__)


def policy_named(settings: Settings) -> bool:
    """True if SOCBOT_POLICY, --policy or code chose the file: then it must exist."""
    return "policy_path" in settings.model_fields_set


def resolve_policy_path(settings: Settings) -> Path:
    if policy_named(settings) or Path(POLICY_NAME).exists():
        return settings.policy_path
    starter = default_policy()
    log.warning(
        "no %s in %s and SOCBOT_POLICY is not set: using the starter policy at %s "
        "(`socbot init` writes a copy to edit)",
        POLICY_NAME,
        Path.cwd(),
        starter,
    )
    return starter


def with_policy_resolved(settings: Settings) -> Settings:
    path = resolve_policy_path(settings)
    if path == settings.policy_path:
        return settings
    return settings.model_copy(update={"policy_path": path})
