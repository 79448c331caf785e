"""Microsoft Entra ID (Azure AD) events as Alerts, in every shape they commonly arrive in:

- sign-ins, directory audits and ID Protection risk records, either as the Graph API objects or
  inside the Azure Monitor diagnostic envelope (category SignInLogs, AuditLogs, UserRiskEvents …);
- Office 365 Management Activity records of the AzureActiveDirectory workload;
- Microsoft Graph security alerts (alerts_v2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.alerts.model import Alert
from bot.alerts.sources import (
    azure_parts,
    entra_alert,
    entra_audit,
    entra_m365,
    entra_risk,
    entra_signin,
    parts,
)
from bot.alerts.sources import fields as read
from bot.errors import AlertRejected

NAME = "entra_id"
VENDOR = "Entra ID"
ALERT_VENDOR = "Microsoft"
SIGN_IN_CATEGORIES = frozenset(
    {
        "signinlogs",
        "noninteractiveusersigninlogs",
        "serviceprincipalsigninlogs",
        "managedidentitysigninlogs",
        "adfssigninlogs",
    }
)
AUDIT_CATEGORIES = frozenset({"auditlogs"})
ENTRA_RESOURCE = "/providers/microsoft.aadiam"

Reader = Callable[[Mapping[str, Any], str], dict[str, Any]]


def matches(event: Mapping[str, Any]) -> bool:
    return _reader(event) is not None


def normalize(event: Any) -> Alert:
    event = read.required_mapping(event, NAME)
    reader = _reader(event)
    if reader is None:
        raise AlertRejected(
            "not an Entra ID sign-in, audit, risk, management-activity or alert record",
            source=NAME,
        )
    found = reader(event, NAME)
    if not found.get("event_type"):
        raise AlertRejected("no event type (operation or activity name)", source=NAME)
    vendor = ALERT_VENDOR if reader is entra_alert.fields else VENDOR
    title = parts.title_for(vendor, found["event_type"], found.get("actor"), found.get("target"))
    return parts.build_alert(NAME, raw=dict(event), title=title, **found)


def _reader(event: Mapping[str, Any]) -> Reader | None:
    if entra_m365.is_management_record(event):
        return entra_m365.fields
    if entra_alert.is_security_alert(event):
        return entra_alert.fields
    if azure_parts.is_envelope(event):
        return _envelope_reader(event)
    return _record_reader(event)


def _envelope_reader(event: Mapping[str, Any]) -> Reader | None:
    category = azure_parts.category(event)
    if category in SIGN_IN_CATEGORIES:
        return entra_signin.fields
    if category in entra_risk.RISK_CATEGORIES:
        return entra_risk.fields
    record = azure_parts.body(event)
    found = _record_reader(record) if record is not event else None
    if found is not None:
        return found
    entra_resource = ENTRA_RESOURCE in (read.first(event, "resourceId") or "").lower()
    return entra_audit.fields if category in AUDIT_CATEGORIES or entra_resource else None


def _record_reader(record: Mapping[str, Any]) -> Reader | None:
    if entra_audit.is_directory_audit(record):
        return entra_audit.fields
    if entra_risk.is_risk_record(record):
        return entra_risk.fields
    if entra_signin.is_sign_in(record):
        return entra_signin.fields
    return None
