"""Entra ID sign-ins (user, non-interactive, service principal, managed identity) as Alert
fields, from a Graph signIn record or the SignInLogs diagnostic envelope around one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.alerts.model import Identity, Outcome, Severity
from bot.alerts.sources import azure_parts, parts
from bot.alerts.sources import fields as read

DEFAULT_TYPE = "Sign-in activity"
RISK_ORDER = ("info", "low", "medium", "high", "critical")
MACHINE_CATEGORIES = ("serviceprincipalsigninlogs", "managedidentitysigninlogs")


def is_sign_in(record: Mapping[str, Any]) -> bool:
    """A Graph signIn record: a user or service principal, an app or status, and its id/time."""
    who = read.get(record, "userPrincipalName") or read.get(record, "servicePrincipalId")
    what = read.get(record, "appId") or read.get(record, "status")
    when = any(read.get(record, key) for key in ("createdDateTime", "id", "correlationId"))
    return bool(who) and bool(what) and when


def fields(event: Mapping[str, Any], source: str) -> dict[str, Any]:
    record, wrap = azure_parts.body(event), azure_parts.envelope(event)
    actor = _actor(record, wrap)
    return {
        "vendor_event_id": read.first(record, "id") or read.first(wrap, "correlationId"),
        "event_type": read.first(wrap, "operationName") or DEFAULT_TYPE,
        "occurred_at": _time(record, wrap, source),
        "actor": actor,
        "target": _target(record, actor),
        "source_ip": parts.clean_ip(
            read.first(record, "ipAddress") or read.first(wrap, "callerIpAddress")
        ),
        "user_agent": read.first(record, "userAgent"),
        "geo": azure_parts.location_geo(read.get(record, "location")),
        "outcome": _outcome(record, wrap),
        "vendor_severity": _risk(record) or azure_parts.level(read.get(wrap, "Level")),
    }


def _time(record: Mapping[str, Any], wrap: Mapping[str, Any], source: str) -> datetime:
    return read.pick_time(
        source,
        ("createdDateTime", read.get(record, "createdDateTime")),
        ("time", read.get(wrap, "time")),
    )


def _actor(record: Mapping[str, Any], wrap: Mapping[str, Any]) -> Identity | None:
    machine = azure_parts.category(wrap) in MACHINE_CATEGORIES
    if machine or (read.get(record, "servicePrincipalId") and not read.get(record, "userId")):
        return parts.identity(
            "service_account",
            name=read.first(record, "servicePrincipalName", "appDisplayName"),
            provider_id=read.first(record, "servicePrincipalId", "appId"),
        )
    return parts.identity(
        "person",
        login=read.first(record, "userPrincipalName"),
        name=read.first(record, "userDisplayName") or read.first(wrap, "identity"),
        provider_id=read.first(record, "userId"),
    )


def _target(record: Mapping[str, Any], actor: Identity | None) -> Identity | None:
    """The application signed in to; a service principal signs in to a resource."""
    if actor is not None and actor.kind == "service_account":
        return parts.identity(
            "oauth_app",
            name=read.first(record, "resourceDisplayName"),
            provider_id=read.first(record, "resourceId"),
        )
    return parts.identity(
        "oauth_app",
        name=read.first(record, "appDisplayName", "resourceDisplayName"),
        provider_id=read.first(record, "appId"),
    )


def _outcome(record: Mapping[str, Any], wrap: Mapping[str, Any]) -> Outcome:
    for value in (read.look(record, "status.errorCode"), read.get(wrap, "resultType")):
        found = azure_parts.result(value)
        if found != "unknown":
            return found
    return azure_parts.result(read.get(wrap, "resultSignature"))


def _risk(record: Mapping[str, Any]) -> Severity | None:
    """The higher of the sign-in's two risk levels; None when it carries neither."""
    levels = [
        parts.severity_word(read.get(record, name))
        for name in ("riskLevelDuringSignIn", "riskLevelAggregated")
    ]
    known = [found for found in levels if found in RISK_ORDER]
    return max(known, key=RISK_ORDER.index) if known else None
