"""Azure Monitor activity log events (control-plane operations on Azure resources), and the
storage resource logs that arrive in the same envelope, as Alerts.

Both the diagnostic export shape (operationName, time, identity.claims, callerIpAddress) and the
activity-log REST shape (operationName.value, eventTimestamp, caller, httpRequest) are read.
Entra ID's own categories (sign-ins, directory audits) belong to the entra_id normalizer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.alerts.model import Alert, Identity, Outcome
from bot.alerts.sources import azure_parts, azure_principal, entra_id, parts
from bot.alerts.sources import fields as read
from bot.errors import AlertRejected

NAME = "azure_activity"
VENDOR = "Azure"


def matches(event: Mapping[str, Any]) -> bool:
    has_operation = isinstance(read.get(event, "operationName"), str) or isinstance(
        read.look(event, "operationName.value"), str
    )
    where = any(
        read.get(event, key) is not None
        for key in ("resourceId", "callerIpAddress", "caller", "category")
    )
    return has_operation and where and not entra_id.matches(event)


def normalize(event: Any) -> Alert:
    event = read.required_mapping(event, NAME)
    operation = read.first(event, "operationName", "operationName.value")
    if operation is None:
        raise AlertRejected("no operationName", source=NAME)
    actor = azure_principal.caller(event)
    target = _resource(event)
    return parts.build_alert(
        NAME,
        raw=dict(event),
        vendor_event_id=read.first(event, "eventDataId", "correlationId"),
        event_type=operation,
        title=parts.title_for(VENDOR, operation, actor, target),
        occurred_at=read.required_time(event, NAME, "time", "eventTimestamp", lookup=read.look),
        actor=actor,
        target=target,
        source_ip=_ip(event),
        user_agent=read.first(event, "properties.userAgentHeader", "properties.userAgent"),
        outcome=_outcome(event),
        vendor_severity=azure_parts.level(read.get(event, "level")),
    )


def _resource(event: Mapping[str, Any]) -> Identity | None:
    """The resource operated on: the storage account, else the resource id's last segment."""
    resource_id = read.first(event, "resourceId", "resourceId.value")
    name = read.first(event, "properties.accountName")
    if name is None and resource_id:
        name = resource_id.rstrip("/").rsplit("/", 1)[-1]
    return parts.identity("unknown", name=name, provider_id=resource_id)


def _ip(event: Mapping[str, Any]) -> str | None:
    for value in (
        read.get(event, "callerIpAddress"),
        read.look(event, "httpRequest.clientIpAddress"),
        azure_principal.claim(event, "ipaddr"),
    ):
        found = parts.clean_ip(value)
        if found:
            return found
    return None


def _outcome(event: Mapping[str, Any]) -> Outcome:
    status_code = read.number(read.get(event, "statusCode"))
    if status_code is not None:
        return "success" if status_code < 400 else "failure"
    for value in (read.get(event, "resultType"), read.look(event, "status.value")):
        found = parts.outcome_word(value)
        if found != "unknown":
            return found
    return "unknown"
