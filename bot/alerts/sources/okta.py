"""Okta System Log events (the LogEvent objects of /api/v1/logs and its event hooks) as Alerts.

Some export pipelines lower-case the top-level keys (eventtype, displaymessage …), so every key
is read ignoring letter case.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.alerts.model import Alert, Geo, Identity, IdentityKind
from bot.alerts.sources import fields as read
from bot.alerts.sources import parts

NAME = "okta"
OKTA_EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")
VENDOR = "Okta"

KINDS: dict[str, IdentityKind] = {
    "user": "person",
    "appuser": "person",
    "systemprincipal": "service_account",
    "publicclientapp": "oauth_app",
    "publicclientappentity": "oauth_app",
    "appinstance": "oauth_app",
    "client": "oauth_app",
    "token": "access_key",
    "apitoken": "access_key",
}
# Which target an alert is about when Okta lists several: the person, else the app, else the first.
TARGET_PREFERENCE = ("user", "appinstance", "publicclientapp", "token", "appuser")


def matches(event: Mapping[str, Any]) -> bool:
    event_type = read.get(event, "eventType")
    if not isinstance(event_type, str):
        return False
    if isinstance(read.get(event, "actor"), Mapping) and (
        read.get(event, "published") is not None or read.get(event, "uuid") is not None
    ):
        return True
    # Exports that dropped the envelope still carry Okta's dotted event type names.
    return OKTA_EVENT_TYPE.fullmatch(event_type) is not None


def normalize(event: Any) -> Alert:
    event = read.required_mapping(event, NAME)
    event_type = read.required_text(event, NAME, "eventType")
    actor = _identity(read.mapping_at(event, "actor"))
    target = _target(read.list_at(event, "target"))
    return parts.build_alert(
        NAME,
        raw=dict(event),
        vendor_event_id=read.first(event, "uuid"),
        event_type=event_type,
        title=parts.title_for(VENDOR, event_type, actor, target),
        occurred_at=read.required_time(event, NAME, "published", lookup=read.look),
        actor=actor,
        target=target,
        source_ip=_ip(event),
        user_agent=read.first(event, "client.userAgent.rawUserAgent"),
        geo=_geo(event),
        outcome=parts.outcome_word(read.look(event, "outcome.result")),
        vendor_severity=parts.severity_word(read.get(event, "severity")),
    )


def _ip(event: Mapping[str, Any]) -> str | None:
    """The client's address; Okta names an unauthenticated caller by its IP as the actor."""
    found = read.first(event, "client.ipAddress", "request.ipChain.0.ip")
    if found is None and (read.first(event, "actor.type") or "").lower() == "ip address":
        found = read.first(event, "actor.id")
    return parts.clean_ip(found)


def _identity(entry: Mapping[str, Any]) -> Identity | None:
    kind = KINDS.get((read.first(entry, "type") or "").lower().replace(" ", ""), "unknown")
    return parts.identity(
        kind,
        login=read.first(entry, "alternateId"),
        name=read.first(entry, "displayName"),
        provider_id=read.first(entry, "id"),
    )


def _target(entries: list[Any]) -> Identity | None:
    candidates = [entry for entry in entries if isinstance(entry, Mapping)]
    if not candidates:
        return None
    for wanted in TARGET_PREFERENCE:
        for entry in candidates:
            if (read.first(entry, "type") or "").lower() == wanted:
                return _identity(entry)
    return _identity(candidates[0])


def _geo(event: Mapping[str, Any]) -> Geo | None:
    place = read.mapping_at(event, "client.geographicalContext") or read.mapping_at(
        event, "request.ipChain.0.geographicalContext"
    )
    return parts.make_geo(
        read.first(place, "country"),
        read.first(place, "state"),
        read.first(place, "city"),
        read.look(place, "geolocation.lat"),
        read.look(place, "geolocation.lon"),
    )
