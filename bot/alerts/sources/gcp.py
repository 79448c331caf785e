"""Google Cloud audit log entries (LogEntry with an AuditLog protoPayload) as Alerts.

The actor is authenticationInfo's principal (…gserviceaccount.com means a service account). The
target is, in order: the member an IAM policy change adds (bindingDeltas), the user a Workspace
admin event names, the key a call created or used on a service account or API key, the service
account created or named in resourceName, else the resource itself. A non-zero status code (or
a permission check not granted) is a failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.alerts.model import Alert, Identity, IdentityKind, Outcome, Severity
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

NAME = "gcp"
SERVICE_ACCOUNT_DOMAIN = "gserviceaccount.com"
# Cloud Logging severities say how much an operator should care about a log line, not how bad
# an attack is: a denied call is ERROR. So they map one step lower than their names suggest.
SEVERITIES: dict[str, Severity] = {
    "DEBUG": "info",
    "INFO": "info",
    "NOTICE": "info",
    "WARNING": "low",
    "ERROR": "medium",
    "CRITICAL": "high",
    "ALERT": "critical",
    "EMERGENCY": "critical",
}
STATUS_NAMES = (
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
)  # fmt: skip  # google.rpc.Code, by number
MEMBER_KINDS: dict[str, IdentityKind] = {"user": "person", "serviceaccount": "service_account"}


def matches(event: Mapping[str, Any]) -> bool:
    return isinstance(event, Mapping) and isinstance(top_level(event).get("protopayload"), Mapping)


def normalize(event: Any) -> Alert:
    original = required_mapping(event, NAME)
    entry = fold_keys(original)
    payload = entry.get("protopayload")
    if not isinstance(payload, Mapping):
        raise AlertRejected("no protoPayload: not a Cloud Audit Logs entry", source=NAME)
    # Without methodName, the permission checked is the best name for what was done.
    method = text(payload, "methodname", "authorizationinfo.0.permission")
    if method is None:
        raise AlertRejected("no methodName: cannot tell what was done", source=NAME)
    actor = _actor(payload)
    target = _target(entry, payload, method)
    outcome, reason = _outcome(payload)
    return build_alert(
        NAME,
        vendor_event_id=text(entry, "insertid"),
        event_type=method,
        title=describe("GCP", short_method(method), actor, target, failure=reason),
        occurred_at=required_time(
            entry, NAME, "timestamp", "protopayload.requestmetadata.requestattributes.time"
        ),
        actor=actor,
        target=target,
        source_ip=ip_or_none(text(payload, "requestmetadata.callerip")),
        user_agent=text(payload, "requestmetadata.callersupplieduseragent"),
        outcome=outcome,
        vendor_severity=severity(text(entry, "severity")),
        raw=dict(original),
    )


def severity(value: str | None) -> Severity:
    """A LogSeverity name, or its number (100 DEBUG … 800 EMERGENCY), on the common scale."""
    name = (value or "").upper()
    if name.isascii() and name.isdigit() and len(name) == 3 and name.endswith("00"):
        names = list(SEVERITIES)
        name = names[int(name[0]) - 1] if 1 <= int(name[0]) <= len(names) else name
    return SEVERITIES.get(name, "unknown")


def short_method(method: str) -> str:
    """The RPC name when methodName is package.Service.Rpc, else methodName without a leading
    version: 'google.iam.admin.v1.CreateServiceAccountKey' → 'CreateServiceAccountKey',
    'v1.compute.instances.insert' → 'compute.instances.insert'."""
    parts = method.split(".")
    if len(parts) > 1 and (parts[-2][:1].isupper() or _is_version(parts[-2])):
        return parts[-1]
    return ".".join(parts[1:]) if len(parts) > 1 and _is_version(parts[0]) else method


def _is_version(part: str) -> bool:
    return part[:1] == "v" and part[1:].isdigit()


def member_identity(member: str) -> Identity:
    """An IAM member ("user:a@b", "serviceAccount:x@y", "group:…", a bare email) as an Identity."""
    prefix, _, value = member.rpartition(":")
    value = value.split("?", 1)[0]  # deleted members end in "?uid=<id>"
    kind = MEMBER_KINDS.get(prefix.rsplit(":", 1)[-1].lower(), "unknown")
    if "@" in value:
        if value.endswith(SERVICE_ACCOUNT_DOMAIN):
            kind = "service_account"
        elif not prefix:
            kind = "person"
        return Identity(kind=kind, email=value)
    return Identity(kind=kind, name=member)


def _actor(payload: Any) -> Identity | None:
    email = text(
        payload,
        "authenticationinfo.principalemail",
        "authenticationinfo.serviceaccountdelegationinfo.0.firstpartyprincipal.principalemail",
    )
    subject = text(payload, "authenticationinfo.principalsubject")
    if email is not None:
        identity = member_identity(email)
        return identity.model_copy(update={"provider_id": subject})
    if subject is None:
        return None
    if ":" in subject and "://" not in subject:
        return member_identity(subject).model_copy(update={"provider_id": subject})
    return Identity(kind=_federated_kind(subject), provider_id=subject, name=subject)


def _federated_kind(subject: str) -> IdentityKind:
    if "workforcePools" in subject:
        return "person"
    return "service_account" if "workloadIdentityPools" in subject else "unknown"


def _outcome(payload: Any) -> tuple[Outcome, str | None]:
    status = dig(payload, "status")
    if isinstance(status, Mapping):
        code = status.get("code")
        if code in (None, 0, "0", "", "OK"):
            return "success", None
        return "failure", _status_name(code)
    grants = [check.get("granted") for check in _checks(payload)]
    if False in grants:
        return "failure", "PERMISSION_DENIED"
    return ("success", None) if grants else ("unknown", None)


def _status_name(code: Any) -> str:
    if isinstance(code, int) and not isinstance(code, bool) and 0 < code < len(STATUS_NAMES):
        return STATUS_NAMES[code]
    return str(code)[:40]


def _checks(payload: Any) -> list[Mapping[str, Any]]:
    checks = dig(payload, "authorizationinfo")
    return (
        [check for check in checks if isinstance(check, Mapping)]
        if isinstance(checks, list)
        else []
    )


def _target(entry: Any, payload: Any, method: str) -> Identity | None:
    return (
        _added_member(payload)
        or _workspace_user(payload)
        or _key(payload, method)
        or _created_account(payload, method)
        or _service_account(entry, payload)
        or _resource(payload)
    )


def _added_member(payload: Any) -> Identity | None:
    deltas = dig(payload, "servicedata.policydelta.bindingdeltas")
    if not isinstance(deltas, list):
        return None
    members = [(text(delta, "action"), text(delta, "member")) for delta in deltas]
    usable = [(action, member) for action, member in members if member]
    added = [member for action, member in usable if action == "ADD"]
    chosen = added or [member for _, member in usable]
    return member_identity(chosen[0]) if chosen else None


def _workspace_user(payload: Any) -> Identity | None:
    """Workspace admin events name the user in metadata.event[].parameter[USER_EMAIL]."""
    parameters = dig(payload, "metadata.event.0.parameter")
    for parameter in parameters if isinstance(parameters, list) else []:
        if text(parameter, "name") == "USER_EMAIL" and text(parameter, "value"):
            return Identity(kind="person", email=text(parameter, "value"))
    return None


def _key(payload: Any, method: str) -> Identity | None:
    """A service-account or API key the call created or acted on ("…/keys/<id>")."""
    name = text(payload, "response.name", "resourcename") or ""
    if "/keys/" not in name and "ServiceAccountKey" not in method:
        return None
    parent, _, key_id = name.partition("/keys/")
    owner = _after(parent, "/serviceAccounts/") or _after(
        text(payload, "resourcename"), "/serviceAccounts/"
    )
    owner_email = owner if owner and "@" in owner else None
    return Identity(kind="access_key", provider_id=key_id or None, email=owner_email, name=owner)


def _created_account(payload: Any, method: str) -> Identity | None:
    """CreateServiceAccount runs on the project; the account is in the request and response."""
    if not method.endswith("CreateServiceAccount"):
        return None
    email = text(payload, "response.email")
    name = text(payload, "request.account_id", "request.accountid")
    return identity_or_none(Identity(kind="service_account", email=email, name=name))


def _service_account(entry: Any, payload: Any) -> Identity | None:
    account = _after(text(payload, "resourcename"), "/serviceAccounts/")
    if account is None:
        return None
    email = account if "@" in account else text(entry, "resource.labels.email_id")
    provider_id = None if "@" in account else account
    return Identity(kind="service_account", provider_id=provider_id, email=email)


def _resource(payload: Any) -> Identity | None:
    return identity_or_none(Identity(kind="unknown", name=text(payload, "resourcename")))


def _after(path: str | None, marker: str) -> str | None:
    """The path segment right after marker: "projects/-/serviceAccounts/x/keys/k" → x."""
    lowered_marker = marker.lower()
    if not path or lowered_marker not in path.lower():
        return None
    start = path.lower().index(lowered_marker) + len(marker)
    return path[start:].split("/", 1)[0] or None
