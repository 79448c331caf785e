"""AWS CloudTrail records as Alerts: one record, or the EventBridge "… via CloudTrail" envelope.

Who acted comes from userIdentity (see aws_principals). What the call was about comes from the
request and response: the access key created, updated or deleted, else the user, role, group
or policy named. A call failed when it carries errorCode/errorMessage; sign-ins say Success or
Failure in responseElements. CloudTrail has no severity of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.alerts.model import Alert, Identity, Outcome
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

NAME = "aws_cloudtrail"
ENVELOPE_SUFFIX = "via CloudTrail"  # "AWS API Call via CloudTrail", "AWS Console Sign In via …"
KEY_EVENTS = frozenset({"CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey"})
_RECORD_KEYS = frozenset(
    {
        "eventsource", "useridentity", "eventversion", "eventid", "awsregion",
        "recipientaccountid", "requestparameters", "responseelements", "eventtime",
    }
)  # fmt: skip


def matches(event: Mapping[str, Any]) -> bool:
    if not isinstance(event, Mapping):
        return False
    keys = top_level(event)
    if isinstance(keys.get("eventname"), str):
        return not _RECORD_KEYS.isdisjoint(keys)
    return _is_envelope(keys)


def _is_envelope(keys: Mapping[str, Any]) -> bool:
    kind = keys.get("detail-type")
    return isinstance(kind, str) and kind.endswith(ENVELOPE_SUFFIX) and _has_detail(keys)


def _has_detail(keys: Mapping[str, Any]) -> bool:
    return isinstance(keys.get("detail"), Mapping)


def normalize(event: Any) -> Alert:
    original = required_mapping(event, NAME)
    folded = fold_keys(original)
    enveloped = _is_envelope(folded)
    record = folded["detail"] if enveloped else folded
    action = text(record, "eventname")
    if action is None:
        raise AlertRejected("no eventName: not a CloudTrail record", source=NAME)
    times = ("detail.eventtime", "time") if enveloped else ("eventtime",)
    actor = aws_principals.from_user_identity(dig(record, "useridentity"))
    target = _target(record, action, actor)
    outcome, reason = _outcome(record, action)
    return build_alert(
        NAME,
        vendor_event_id=text(record, "eventid"),
        event_type=action,
        title=describe("AWS", action, actor, target, failure=reason),
        occurred_at=required_time(folded, NAME, *times),
        actor=actor,
        target=target,
        source_ip=ip_or_none(text(record, "sourceipaddress")),
        user_agent=text(record, "useragent"),
        outcome=outcome,
        vendor_severity="unknown",
        raw=dict(original),
    )


def _outcome(record: Any, action: str) -> tuple[Outcome, str | None]:
    """(outcome, failure reason for the title: None unless it failed)."""
    error = text(record, "errorcode")
    if error or text(record, "errormessage"):
        return "failure", error or ""
    verdict = text(record, f"responseelements.{action.lower()}")  # ConsoleLogin: Success
    if verdict is not None and verdict.lower() in {"success", "failure"}:
        return ("success", None) if verdict.lower() == "success" else ("failure", "")
    return "success", None


def _target(record: Any, action: str, actor: Identity | None) -> Identity | None:
    return _access_key(record, action, actor) or _user(record) or _other_principal(record)


def _access_key(record: Any, action: str, actor: Identity | None) -> Identity | None:
    key_id = text(record, "responseelements.accesskey.accesskeyid", "requestparameters.accesskeyid")
    if key_id is None and action not in KEY_EVENTS:
        return None
    owner = text(record, "requestparameters.username", "responseelements.accesskey.username")
    if owner is None and actor is not None:  # no UserName: the caller's own key
        owner = actor.name or actor.login
    return identity_or_none(Identity(kind="access_key", provider_id=key_id, name=owner))


def _user(record: Any) -> Identity | None:
    name = text(record, "requestparameters.username", "responseelements.user.username")
    if name is None:
        return None
    return Identity(
        kind=aws_principals.user_kind(name),
        provider_id=text(record, "responseelements.user.userid"),
        arn=text(record, "responseelements.user.arn"),
        name=name,
    )


def _other_principal(record: Any) -> Identity | None:
    role_arn = text(record, "requestparameters.rolearn", "responseelements.role.arn")
    role = text(record, "requestparameters.rolename")
    if role_arn or role:
        return Identity(kind="service_account", arn=role_arn, name=role)
    group = text(record, "requestparameters.groupname")
    policy_arn = text(record, "requestparameters.policyarn", "requestparameters.samlproviderarn")
    return identity_or_none(Identity(kind="unknown", arn=None if group else policy_arn, name=group))
