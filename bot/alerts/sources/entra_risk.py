"""Entra ID Protection records (risk detections, risky users and service principals, from Graph
or the RiskyUsers/UserRiskEvents/… diagnostic categories) as Alert fields."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.alerts.model import Identity
from bot.alerts.sources import azure_parts, parts

RISK_CATEGORIES = frozenset(
    {"riskyusers", "userriskevents", "riskyserviceprincipals", "serviceprincipalriskevents"}
)
TIME_FIELDS = ("detectedDateTime", "activityDateTime", "riskLastUpdatedDateTime")


def is_risk_record(record: Mapping[str, Any]) -> bool:
    return parts.get(record, "riskEventType") is not None or (
        parts.get(record, "riskLevel") is not None and parts.get(record, "riskState") is not None
    )


def fields(event: Mapping[str, Any], source: str) -> dict[str, Any]:
    record, wrap = azure_parts.body(event), azure_parts.envelope(event)
    return {
        "vendor_event_id": parts.first(record, "id") or parts.first(wrap, "correlationId"),
        "event_type": parts.first(record, "riskEventType")
        or parts.first(wrap, "operationName")
        or "riskyUser",
        "occurred_at": _time(record, wrap, source),
        "actor": _subject(record),
        "source_ip": parts.clean_ip(
            parts.first(record, "ipAddress") or parts.first(wrap, "callerIpAddress")
        ),
        "geo": azure_parts.location_geo(parts.get(record, "location")),
        "vendor_severity": parts.severity_word(parts.get(record, "riskLevel")),
    }


def _time(record: Mapping[str, Any], wrap: Mapping[str, Any], source: str) -> datetime:
    candidates = [(name, parts.get(record, name)) for name in TIME_FIELDS]
    return parts.pick_time(source, *candidates, ("time", parts.get(wrap, "time")))


def _subject(record: Mapping[str, Any]) -> Identity | None:
    """Who is at risk: the user whose activity was risky, or the service principal."""
    return parts.identity(
        "person",
        login=parts.first(record, "userPrincipalName"),
        name=parts.first(record, "userDisplayName"),
        provider_id=parts.first(record, "userId"),
    ) or parts.identity(
        "service_account",
        name=parts.first(record, "servicePrincipalDisplayName", "displayName"),
        provider_id=parts.first(record, "servicePrincipalId", "appId"),
    )
