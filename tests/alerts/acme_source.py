"""A vendor normalizer for intake tests ("acme"), with the interface of bot.alerts.sources.*.

Intake tests register it (tests.alerts.intake_helpers.acme) so that they depend on the
intake's behaviour, not on any real vendor's shape. An acme event:

    {"acme_event": "login.failed", "user": "ana@example.org", "target": "bo@example.org",
     "at": "2026-11-22T10:00:00Z", "ip": "203.0.113.5", "note": "..."}

`"explode": true` makes the normalizer fail the way a normalizer bug would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.alerts.model import Alert, Identity
from bot.alerts.sources.fields import required_mapping, required_time, text
from bot.errors import AlertRejected

NAME = "acme"


def matches(event: Mapping[str, Any]) -> bool:
    return "acme_event" in event


def normalize(event: Any) -> Alert:
    body = required_mapping(event, NAME)
    if body.get("explode") is True:
        raise ZeroDivisionError("a normalizer bug")
    kind = text(body, "acme_event")
    if kind is None:
        raise AlertRejected("acme_event is missing", source=NAME)
    target = text(body, "target")
    return Alert(
        source=NAME,
        vendor_event_id=text(body, "id"),
        event_type=kind,
        title=f"acme {kind}",
        occurred_at=required_time(body, NAME, "at"),
        actor=Identity(kind="person", email=text(body, "user")),
        target=Identity(kind="person", email=target) if target else None,
        source_ip=text(body, "ip"),
        outcome="failure" if "fail" in kind else "success",
        vendor_severity="medium",
        raw=dict(body),
    )
