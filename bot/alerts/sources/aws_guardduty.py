"""Amazon GuardDuty findings as Alerts: the finding itself, or its EventBridge envelope
("detail-type": "GuardDuty Finding").

The actor is the principal whose credentials the finding is about (resource.accessKeyDetails);
findings that carry no resource details name it in their title or description instead. The
target is the access key used, else the resource affected, else the instance. Where the
activity came from is in the action's remoteIpDetails. GuardDuty's 0–10 severity maps to
low (< 4), medium (< 7), high (< 9) and critical (9 and above).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from bot.alerts.model import Alert, Geo, Identity, IdentityKind, Outcome, Severity
from bot.alerts.sources import aws_principals
from bot.alerts.sources.fields import dig, required_mapping, required_time, text
from bot.alerts.sources.parts import (
    build_alert,
    describe,
    fold_keys,
    identity_or_none,
    ip_or_none,
    top_level,
)
from bot.errors import AlertRejected

NAME = "aws_guardduty"
ENVELOPE_TYPE = "GuardDuty Finding"
ACTION_KINDS = (
    "awsapicallaction",
    "networkconnectionaction",
    "kubernetesapicallaction",
    "rdsloginattemptaction",
)
_NAMED_PRINCIPAL = re.compile(r"\b(Root|IAMUser|AssumedRole|FederatedUser)[/:]([\w+=,.@-]+)")
_PRINCIPAL_ID = re.compile(r"\bprincipalId ([\w:.@-]+)")
_TEXT_SEVERITIES: dict[str, Severity] = {
    "low": "low",
    "medium": "medium",
    "high": "high",
    "critical": "critical",
}


def matches(event: Mapping[str, Any]) -> bool:
    if not isinstance(event, Mapping):
        return False
    keys = top_level(event)
    if keys.get("detail-type") == ENVELOPE_TYPE:
        return isinstance(keys.get("detail"), Mapping)
    return _is_finding(keys)


def _is_finding(keys: Mapping[str, Any]) -> bool:
    service = keys.get("service")
    if isinstance(service, Mapping) and top_level(service).get("servicename") == "guardduty":
        return "type" in keys
    arn = keys.get("arn")
    return isinstance(arn, str) and ":guardduty:" in arn and "schemaversion" in keys


def normalize(event: Any) -> Alert:
    original = required_mapping(event, NAME)
    folded = fold_keys(original)
    enveloped = isinstance(folded.get("detail"), Mapping) and not _is_finding(folded)
    finding = folded["detail"] if enveloped else folded
    finding_type = text(finding, "type")
    if finding_type is None:
        raise AlertRejected("no finding type: not a GuardDuty finding", source=NAME)
    times: tuple[str, ...] = ("service.eventlastseen", "updatedat", "createdat")
    if enveloped:
        times = (*(f"detail.{path}" for path in times), "time")
    action = dig(finding, "service.action")
    remote = _remote_ip_details(action)
    actor = _actor(finding)
    target = _target(finding)
    return build_alert(
        NAME,
        vendor_event_id=text(finding, "id"),
        event_type=finding_type,
        title=describe("GuardDuty", finding_type, actor, target),
        occurred_at=required_time(folded, NAME, *times),
        actor=actor,
        target=target,
        source_ip=ip_or_none(text(remote, "ipaddressv4", "ipaddressv6")),
        user_agent=text(action, "awsapicallaction.useragent", "kubernetesapicallaction.useragent"),
        geo=_geo(remote),
        outcome=_outcome(action),
        vendor_severity=severity(dig(finding, "severity")),
        raw=dict(original),
    )


def severity(value: Any) -> Severity:
    """GuardDuty's number (or its Low/Medium/High/Critical label) on the common scale."""
    if isinstance(value, str) and value.strip().lower() in _TEXT_SEVERITIES:
        return _TEXT_SEVERITIES[value.strip().lower()]
    number = _number(value)
    if number is None or number < 0:
        return "unknown"
    if number < 4:
        return "low"
    if number < 7:
        return "medium"
    return "high" if number < 9 else "critical"


def _actor(finding: Any) -> Identity | None:
    details = dig(finding, "resource.accesskeydetails")
    if isinstance(details, Mapping) and text(details, "username", "principalid"):
        principal = aws_principals.from_principal_type(
            text(details, "usertype"), text(details, "username"), text(details, "principalid")
        )
        return identity_or_none(principal)
    return _actor_named_in_text(text(finding, "title") or "", text(finding, "description") or "")


def _actor_named_in_text(title: str, description: str) -> Identity | None:
    """Findings without resource details (attack sequences, samples) say "IAMUser/name"."""
    named = _NAMED_PRINCIPAL.search(title) or _NAMED_PRINCIPAL.search(description)
    if named is None:
        return None
    found_id = _PRINCIPAL_ID.search(description)
    principal_id = found_id.group(1).rstrip(".:") if found_id else None
    name = named.group(2).rstrip(".,")
    return identity_or_none(aws_principals.from_principal_type(named.group(1), name, principal_id))


def _target(finding: Any) -> Identity | None:
    key_id = text(finding, "resource.accesskeydetails.accesskeyid")
    if key_id is not None:
        owner = text(finding, "resource.accesskeydetails.username")
        return Identity(kind="access_key", provider_id=key_id, name=owner)
    affected = dig(finding, "service.action.awsapicallaction.affectedresources")
    if isinstance(affected, Mapping):
        for resource_type, arn in affected.items():
            if isinstance(arn, str) and arn:
                return Identity(kind=_resource_kind(str(resource_type)), arn=arn)
    instance = text(finding, "resource.instancedetails.instanceid")
    return Identity(kind="unknown", provider_id=instance, name=instance) if instance else None


def _resource_kind(resource_type: str) -> IdentityKind:
    if resource_type == "aws::iam::role":
        return "service_account"
    return "person" if resource_type == "aws::iam::user" else "unknown"


def _remote_ip_details(action: Any) -> Any:
    for kind in ACTION_KINDS:
        details = dig(action, f"{kind}.remoteipdetails")
        if isinstance(details, Mapping):
            return details
    return dig(action, "portprobeaction.portprobedetails.0.remoteipdetails")


def _geo(remote: Any) -> Geo | None:
    if not isinstance(remote, Mapping):
        return None
    geo = Geo(
        country=text(remote, "country.countryname", "country.countrycode"),
        city=text(remote, "city.cityname"),
        latitude=_number(dig(remote, "geolocation.lat")),
        longitude=_number(dig(remote, "geolocation.lon")),
    )
    return None if geo == Geo() else geo


def _number(value: Any) -> float | None:
    """value as a finite float (numbers and numeric text), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _outcome(action: Any) -> Outcome:
    return "failure" if text(action, "awsapicallaction.errorcode") else "unknown"
