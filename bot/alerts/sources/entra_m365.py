"""Entra ID records of the Office 365 Management Activity API (Workload AzureActiveDirectory:
directory changes and UserLoggedIn/UserLoginFailed) as Alert fields."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.alerts.model import Identity, IdentityKind
from bot.alerts.sources import azure_parts, parts
from bot.alerts.sources import fields as read
from bot.alerts.sources.entra_audit import CONSENT_WORDS

WORKLOAD = "azureactivedirectory"
# AzureActiveDirectory, AzureActiveDirectoryAccountLogon, AzureActiveDirectoryStsLogon
DIRECTORY_RECORD_TYPES = frozenset({8.0, 9.0, 15.0})
UPN_TYPE, NAME_TYPE = 5, 1  # the management API's identifier types in Actor[] / Target[]
MACHINE_USER_TYPES = frozenset({4, 5, 6})  # System, Application, ServicePrincipal
OBJECT_KINDS: dict[str, IdentityKind] = {
    "user": "person",
    "application": "oauth_app",
    "serviceprincipal": "service_account",
}


def is_management_record(event: Mapping[str, Any]) -> bool:
    return (
        _directory_workload(event)
        and isinstance(read.get(event, "Operation"), str)
        and (
            read.get(event, "CreationTime") is not None or read.get(event, "RecordType") is not None
        )
    )


def _directory_workload(event: Mapping[str, Any]) -> bool:
    """Workload says so; exports that drop Workload still carry the directory's record type
    or its AzureActiveDirectoryEventType."""
    workload = (read.first(event, "Workload") or "").lower()
    if workload:
        return workload == WORKLOAD
    record_type = read.number(read.get(event, "RecordType"))
    return record_type in DIRECTORY_RECORD_TYPES or (
        read.get(event, "AzureActiveDirectoryEventType") is not None
    )


def fields(event: Mapping[str, Any], source: str) -> dict[str, Any]:
    return {
        "vendor_event_id": read.first(event, "Id"),
        "event_type": read.first(event, "Operation"),
        "occurred_at": read.required_time(event, source, "CreationTime", lookup=read.look),
        "actor": _actor(event),
        "target": _target(event),
        "source_ip": parts.clean_ip(read.first(event, "ClientIP", "ActorIpAddress")),
        "user_agent": _user_agent(event),
        "outcome": azure_parts.result(read.get(event, "ResultStatus")),
    }


def _typed_id(entries: Any, wanted: int) -> str | None:
    for entry in entries if isinstance(entries, list) else []:
        if read.number(read.get(entry, "Type")) == wanted:
            found = read.first(entry, "ID")
            if found:
                return found
    return None


def _actor(event: Mapping[str, Any]) -> Identity | None:
    user_id = read.first(event, "UserId")
    machine = read.number(read.get(event, "UserType")) in MACHINE_USER_TYPES or (
        (user_id or "").startswith("ServicePrincipal_")
    )
    actors = read.get(event, "Actor")
    return parts.identity(
        "service_account" if machine else "person",
        login=_typed_id(actors, UPN_TYPE) or user_id,
        name=_typed_id(actors, NAME_TYPE),
        provider_id=user_id if machine else _person_id(actors, event),
    )


def _person_id(actors: Any, event: Mapping[str, Any]) -> str | None:
    """The directory object id from 'User_<id>', else the record's UserKey."""
    kind, object_id = _typed_object(actors, None)
    return object_id if kind == "person" else read.first(event, "UserKey")


def _target(event: Mapping[str, Any]) -> Identity | None:
    targets = read.get(event, "Target")
    name = _typed_id(targets, NAME_TYPE)
    object_id = read.first(event, "ObjectId")
    upn = _typed_id(targets, UPN_TYPE) or (object_id if parts.looks_like_email(object_id) else None)
    if upn:
        return parts.identity("person", login=upn, name=name)
    kind, provider_id = _typed_object(targets, object_id)
    operation = (read.first(event, "Operation") or "").lower()
    if kind in ("service_account", "unknown") and any(w in operation for w in CONSENT_WORDS):
        kind = "oauth_app"
    if kind == "unknown" and object_id and object_id == read.first(event, "ApplicationId"):
        kind = "oauth_app"  # a sign-in names the application it signed in to
    return parts.identity(kind, name=name, provider_id=provider_id)


def _typed_object(targets: Any, object_id: str | None) -> tuple[IdentityKind, str | None]:
    """(kind, id) from the first 'User_<id>' / 'ServicePrincipal_<id>' style identifier."""
    candidates = (
        [read.first(entry, "ID") for entry in targets if isinstance(entry, Mapping)]
        if (isinstance(targets, list))
        else []
    )
    for candidate in [*candidates, object_id]:
        prefix, _, rest = (candidate or "").partition("_")
        if prefix.lower() in OBJECT_KINDS and rest:
            return OBJECT_KINDS[prefix.lower()], rest
    return "unknown", object_id


def _user_agent(event: Mapping[str, Any]) -> str | None:
    extended = read.get(event, "ExtendedProperties")
    direct = azure_parts.detail(extended, "UserAgent")
    if direct:
        return direct
    details = azure_parts.detail(extended, "additionalDetails")
    try:
        decoded = json.loads(details) if details else None
    except (ValueError, RecursionError):
        return None
    return read.first(decoded, "User-Agent") if isinstance(decoded, Mapping) else None
