"""Entra ID directory audit records (Graph directoryAudit, or the AuditLogs diagnostic envelope
around one) as Alert fields: who initiated which change to which object."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.alerts.model import Identity, IdentityKind, Outcome
from bot.alerts.sources import azure_parts, parts
from bot.alerts.sources import fields as read

# Target resource types by preference: the alert is about a user before an app, a role, a policy.
TARGET_KINDS: dict[str, IdentityKind] = {
    "user": "person",
    "serviceprincipal": "service_account",
    "application": "oauth_app",
}
CONSENT_WORDS = ("consent", "oauth2permissiongrant", "app role assignment", "delegated permission")


def is_directory_audit(record: Mapping[str, Any]) -> bool:
    markers = ("activityDateTime", "initiatedBy", "activityDisplayName")
    return sum(read.get(record, marker) is not None for marker in markers) >= 2


def fields(event: Mapping[str, Any], source: str) -> dict[str, Any]:
    record, wrap = azure_parts.body(event), azure_parts.envelope(event)
    event_type = read.first(record, "activityDisplayName", "operationName") or read.first(
        wrap, "operationName"
    )
    return {
        "vendor_event_id": read.first(record, "id") or read.first(wrap, "correlationId"),
        "event_type": event_type,
        "occurred_at": _time(record, wrap, source),
        "actor": _actor(record, wrap),
        "target": _target(record, event_type or ""),
        "source_ip": _ip(record, wrap),
        "user_agent": read.first(record, "userAgent")
        or azure_parts.detail(read.get(record, "additionalDetails"), "User-Agent"),
        "outcome": _outcome(record, wrap),
        "vendor_severity": azure_parts.level(read.get(wrap, "Level")),
    }


def _time(record: Mapping[str, Any], wrap: Mapping[str, Any], source: str) -> datetime:
    return read.pick_time(
        source,
        ("activityDateTime", read.get(record, "activityDateTime")),
        ("time", read.get(wrap, "time")),
    )


def _actor(record: Mapping[str, Any], wrap: Mapping[str, Any]) -> Identity | None:
    user = read.mapping_at(record, "initiatedBy.user")
    app = read.mapping_at(record, "initiatedBy.app")
    found = parts.identity(
        "person",
        login=read.first(user, "userPrincipalName"),
        name=read.first(user, "displayName"),
        provider_id=read.first(user, "id"),
    ) or parts.identity(
        "service_account",
        name=read.first(app, "displayName", "servicePrincipalName"),
        provider_id=read.first(app, "servicePrincipalId", "appId"),
    )
    return found or parts.identity("unknown", login=read.first(wrap, "identity"))


def _target(record: Mapping[str, Any], event_type: str) -> Identity | None:
    resources = [
        item for item in read.list_at(record, "targetResources") if isinstance(item, Mapping)
    ]
    if not resources:
        return None
    chosen = next(
        (item for kind in TARGET_KINDS for item in resources if _type(item) == kind), resources[0]
    )
    kind = TARGET_KINDS.get(_type(chosen), "unknown")
    if kind == "service_account" and any(word in event_type.lower() for word in CONSENT_WORDS):
        kind = "oauth_app"
    invited = azure_parts.detail(read.get(record, "additionalDetails"), "invitedUserEmailAddress")
    return parts.identity(
        kind,
        login=read.first(chosen, "userPrincipalName") or (invited if kind == "person" else None),
        name=read.first(chosen, "displayName"),
        provider_id=read.first(chosen, "id"),
    )


def _type(resource: Mapping[str, Any]) -> str:
    return (read.first(resource, "type") or "").lower()


def _ip(record: Mapping[str, Any], wrap: Mapping[str, Any]) -> str | None:
    for value in (
        read.look(record, "initiatedBy.user.ipAddress"),
        read.look(record, "initiatedBy.app.ipAddress"),
        read.get(wrap, "callerIpAddress"),
        read.get(wrap, "ipAddress"),
        azure_parts.detail(read.get(record, "additionalDetails"), "ipaddr"),
    ):
        found = parts.clean_ip(value)
        if found:
            return found
    return None


def _outcome(record: Mapping[str, Any], wrap: Mapping[str, Any]) -> Outcome:
    for value in (read.get(record, "result"), read.get(wrap, "result")):
        found = azure_parts.result(value)
        if found != "unknown":
            return found
    return azure_parts.result(read.get(wrap, "resultType"))
