"""Entra ID Protection records (risk detections, risky users and service principals, from Graph
or the RiskyUsers/UserRiskEvents/… diagnostic categories) as Alert fields."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.alerts.model import Identity
from bot.alerts.sources import azure_parts, parts
from bot.alerts.sources import fields as read

RISK_CATEGORIES = frozenset(
    {"riskyusers", "userriskevents", "riskyserviceprincipals", "serviceprincipalriskevents"}
)
TIME_FIELDS = ("detectedDateTime", "activityDateTime", "riskLastUpdatedDateTime")


def is_risk_record(record: Mapping[str, Any]) -> bool:
    return read.get(record, "riskEventType") is not None or (
        read.get(record, "riskLevel") is not None and read.get(record, "riskState") is not None
    )


def fields(event: Mapping[str, Any], source: str) -> dict[str, Any]:
    record, wrap = azure_parts.body(event), azure_parts.envelope(event)
    return {
        "vendor_event_id": read.first(record, "id") or read.first(wrap, "correlationId"),
        "event_type": read.first(record, "riskEventType")
        or read.first(wrap, "operationName")
        or "riskyUser",
        "occurred_at": _time(record, wrap, source),
        "actor": _subject(record),
        "source_ip": parts.clean_ip(
            read.first(record, "ipAddress") or read.first(wrap, "callerIpAddress")
        ),
        "geo": azure_parts.location_geo(read.get(record, "location")),
        "vendor_severity": parts.severity_word(read.get(record, "riskLevel")),
    }


def _time(record: Mapping[str, Any], wrap: Mapping[str, Any], source: str) -> datetime:
    candidates = [(name, read.get(record, name)) for name in TIME_FIELDS]
    return read.pick_time(source, *candidates, ("time", read.get(wrap, "time")))


def _subject(record: Mapping[str, Any]) -> Identity | None:
    """Who is at risk: the user whose activity was risky, or the service principal."""
    return parts.identity(
        "person",
        login=read.first(record, "userPrincipalName"),
        name=read.first(record, "userDisplayName"),
        provider_id=read.first(record, "userId"),
    ) or parts.identity(
        "service_account",
        name=read.first(record, "servicePrincipalDisplayName", "displayName"),
        provider_id=read.first(record, "servicePrincipalId", "appId"),
    )
