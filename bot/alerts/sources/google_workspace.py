"""Google Workspace Admin SDK Reports activities (login, admin, token, user_accounts, drive …)
as Alerts.

An activity carries its events as events[] (the API), event{} (some collectors) or flattened
onto the activity itself (type, name, parameters); the first event is the alert's action.
Parameters come as the API's [{name, value|multiValue|boolValue|intValue}] or a plain mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.alerts.model import Alert, Identity, Outcome
from bot.alerts.sources import fields as read
from bot.alerts.sources import parts
from bot.errors import AlertRejected

NAME = "google_workspace"
VENDOR = "Google Workspace"
ACTIVITY_KIND = "admin#reports#activity"
VALUE_KEYS = ("value", "multiValue", "boolValue", "intValue", "multiIntValue")
PERSON_TARGETS = ("USER_EMAIL", "affected_email_address", "target_user", "user_email")
APP_APPLICATIONS = frozenset({"token"})
FAILURE_WORDS = ("failure", "denied", "blocked")
# Keys of other vendors' records: a minimal activity has none of them.
OTHER_VENDOR_KEYS = ("eventType", "protoPayload", "action", "eventName", "operationName")


def matches(event: Mapping[str, Any]) -> bool:
    activity_id = read.get(event, "id")
    if not isinstance(activity_id, Mapping) or read.get(activity_id, "applicationName") is None:
        return _minimal_activity(event)
    if read.get(event, "kind") == ACTIVITY_KIND:
        return True
    has_event = any(read.get(event, key) is not None for key in ("events", "event", "name"))
    return has_event and isinstance(read.get(event, "actor") or {}, Mapping)


def _minimal_activity(event: Mapping[str, Any]) -> bool:
    """An activity cut down to its actor's email and the event's name (exports that drop the
    id block): events[].name, or name and type flattened onto the record."""
    actor = read.get(event, "actor")
    if not isinstance(actor, Mapping) or read.first(actor, "email", "profileId") is None:
        return False
    if any(read.get(event, key) is not None for key in OTHER_VENDOR_KEYS):
        return False
    events = read.list_at(event, "events")
    if events and isinstance(events[0], Mapping):
        return read.first(events[0], "name") is not None
    return read.first(event, "name") is not None and read.first(event, "type") is not None


def normalize(event: Any) -> Alert:
    event = read.required_mapping(event, NAME)
    action = _first_event(event)
    event_type = read.first(action, "name") or read.first(action, "type")
    if event_type is None:
        raise AlertRejected("no event name (events[0].name)", source=NAME)
    params = _parameters(read.get(action, "parameters"))
    application = (read.first(event, "id.applicationName") or "").lower()
    actor = _actor(read.mapping_at(event, "actor"))
    target = _target(params, application)
    return parts.build_alert(
        NAME,
        raw=dict(event),
        vendor_event_id=read.first(event, "id.uniqueQualifier"),
        event_type=event_type,
        title=parts.title_for(VENDOR, event_type, actor, target),
        occurred_at=read.required_time(event, NAME, "id.time", "time", lookup=read.look),
        actor=actor,
        target=target,
        source_ip=parts.clean_ip(read.get(event, "ipAddress")),
        geo=parts.make_geo(
            read.first(event, "networkInfo.regionCode"),
            read.first(event, "networkInfo.subdivisionCode"),
        ),
        outcome=_outcome(event_type),
    )


def _first_event(event: Mapping[str, Any]) -> Mapping[str, Any]:
    events = read.list_at(event, "events")
    if events and isinstance(events[0], Mapping):
        return events[0]
    return read.mapping_at(event, "event") or event


def _parameters(raw: Any) -> dict[str, Any]:
    """name -> value for either parameter spelling."""
    if isinstance(raw, Mapping):
        return {str(name): value for name, value in raw.items()}
    found: dict[str, Any] = {}
    for entry in raw if isinstance(raw, list) else []:
        name = read.first(entry, "name")
        if name is None:
            continue
        found[name] = next((entry[key] for key in VALUE_KEYS if key in entry), None)
    return found


def _actor(actor: Mapping[str, Any]) -> Identity | None:
    email = read.first(actor, "email")
    machine = (read.first(actor, "callerType") or "").upper() == "KEY" or (
        (email or "").endswith(".gserviceaccount.com")
    )
    return parts.identity(
        "service_account" if machine else "person",
        login=email,
        name=read.first(actor, "key", "applicationInfo.applicationName"),
        provider_id=read.first(actor, "profileId", "applicationInfo.oauthClientId"),
    )


def _target(params: Mapping[str, Any], application: str) -> Identity | None:
    if application in APP_APPLICATIONS or "app_name" in params or "APP_NAME" in params:
        app = parts.identity(
            "oauth_app",
            name=read.first(params, "app_name") or read.first(params, "APP_NAME"),
            provider_id=read.first(params, "client_id") or read.first(params, "OAUTH_CLIENT_ID"),
        )
        if app is not None:
            return app
    for key in PERSON_TARGETS:
        found = read.scalar_text(params.get(key))
        if found:
            return parts.identity("person", login=found)
    return None


def _outcome(event_type: str) -> Outcome:
    """Only login-style names say how it went: login_failure, login_success …"""
    lowered = event_type.lower()
    if any(word in lowered for word in FAILURE_WORDS):
        return "failure"
    return "success" if lowered.endswith("_success") else "unknown"
