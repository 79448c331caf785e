"""CrowdStrike Falcon event-stream events as Alerts: console audit events (AuthActivityAuditEvent,
UserActivityAuditEvent), Identity Protection detections (IdpDetectionSummaryEvent,
IdentityProtectionEvent) and other detection summaries, all {metadata, event} shaped."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.alerts.model import Alert, Identity, Outcome, Severity
from bot.alerts.sources import fields as read
from bot.alerts.sources import parts
from bot.errors import AlertRejected

NAME = "crowdstrike"
VENDOR = "CrowdStrike"
SEVERITY_NUMBERS: dict[int, Severity] = {
    0: "info", 1: "info", 2: "low", 3: "medium", 4: "high", 5: "critical",
}  # fmt: skip
SCORE_FLOORS: tuple[tuple[int, Severity], ...] = ((80, "critical"), (60, "high"), (40, "medium"))
API_CLIENT_PREFIX = "api-client-id:"
TIME_PATHS = (
    "event.UTCTimestamp",
    "event.ContextTimeStamp",
    "event.StartTime",
    "event.Timestamp",
    "metadata.eventCreationTime",
)
ACCOUNT_FIELDS = ("SourceAccountUpn", "SourceAccountName", "UserPrincipal", "UserName", "UserId")
IP_FIELDS = ("UserIp", "SourceEndpointIpAddress", "EndpointIp", "LocalIP", "SourceIp")


def matches(event: Mapping[str, Any]) -> bool:
    metadata = read.get(event, "metadata")
    return (
        isinstance(metadata, Mapping)
        and isinstance(read.get(metadata, "eventType"), str)
        and isinstance(read.get(event, "event"), Mapping)
        and any(
            read.get(metadata, key) is not None
            for key in ("customerIDString", "offset", "eventCreationTime")
        )
    )


def normalize(event: Any) -> Alert:
    event = read.required_mapping(event, NAME)
    body = read.mapping_at(event, "event")
    if not body:
        raise AlertRejected("no event object (expected {metadata, event})", source=NAME)
    event_type = read.first(body, "OperationName", "DetectName", "IncidentType") or read.first(
        event, "metadata.eventType"
    )
    if event_type is None:
        raise AlertRejected("no OperationName, DetectName or metadata.eventType", source=NAME)
    actor, target = _actor(body), _target(body)
    return parts.build_alert(
        NAME,
        raw=dict(event),
        vendor_event_id=_event_id(event, body),
        event_type=event_type,
        title=parts.title_for(VENDOR, event_type, actor, target),
        occurred_at=read.required_time(event, NAME, *TIME_PATHS, lookup=read.look),
        actor=actor,
        target=target,
        source_ip=next(filter(None, (parts.clean_ip(read.get(body, k)) for k in IP_FIELDS)), None),
        outcome=_outcome(body),
        vendor_severity=_severity(body),
    )


def audit_value(body: Mapping[str, Any], key: str) -> str | None:
    """One AuditKeyValues entry's ValueString."""
    for entry in read.list_at(body, "AuditKeyValues"):
        if read.first(entry, "Key") == key:
            return read.first(entry, "ValueString", "ValueInt")
    return None


def _actor(body: Mapping[str, Any]) -> Identity | None:
    account = next(filter(None, (read.first(body, key) for key in ACCOUNT_FIELDS)), None)
    if account and account.lower().startswith(API_CLIENT_PREFIX):
        client_id = account[len(API_CLIENT_PREFIX) :]
        return parts.identity("service_account", name="API client", provider_id=client_id)
    domain = read.first(body, "SourceAccountDomain")
    machine = bool(account) and str(account).endswith("$")
    if account and domain and not parts.looks_like_email(account):
        account = f"{domain}\\{account}"
    return parts.identity(
        "service_account" if machine else "person",
        login=account,
        provider_id=read.first(body, "SourceAccountObjectSid")
        or audit_value(body, "actor_user_uuid"),
    )


def _target(body: Mapping[str, Any]) -> Identity | None:
    """The user acted on, the API client created, or the account a detection targeted."""
    user = audit_value(body, "target_name") or read.first(body, "TargetAccountName")
    if user:
        return parts.identity("person", login=user, provider_id=audit_value(body, "target_uuid"))
    client_id = audit_value(body, "APIClientID")
    if client_id:
        return parts.identity(
            "service_account", name=audit_value(body, "name"), provider_id=client_id
        )
    group = audit_value(body, "group_name")
    return parts.identity("unknown", name=group) if group else None


def _event_id(event: Mapping[str, Any], body: Mapping[str, Any]) -> str | None:
    """A detection's id; otherwise the event's position in the customer's stream."""
    found = read.first(body, "DetectId", "CompositeId", "IdentityProtectionIncidentId")
    if found:
        return found
    offset = read.first(event, "metadata.offset")
    return f"{read.first(event, 'metadata.customerIDString') or '-'}:{offset}" if offset else None


def _outcome(body: Mapping[str, Any]) -> Outcome:
    return parts.outcome_word(read.get(body, "Success"))


def _severity(body: Mapping[str, Any]) -> Severity:
    named = parts.severity_word(read.get(body, "SeverityName"))
    if named != "unknown":
        return named
    score = read.number(read.get(body, "Severity"))
    if score is None or score < 0:
        return "unknown"
    if score <= 5:
        return SEVERITY_NUMBERS.get(int(score), "unknown")
    # Falcon's 0-100 alert scale
    return next((name for floor, name in SCORE_FLOORS if score >= floor), "low")
