"""AWS principals as Identities, shared by the CloudTrail and GuardDuty normalizers.

The kind follows what AWS says the principal is: the root user and humans signed in through IAM
Identity Center or a SAML/OIDC provider are people; AWS services and role sessions are service
accounts unless the session names a person (an email or a source identity). IAM users are people
unless their name says they are a machine (svc-…, …-bot, ci-…): AWS itself does not tell.
Keys are read lower-cased (see parts.fold_keys).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from bot.alerts.model import Identity, IdentityKind
from bot.alerts.sources.fields import text
from bot.alerts.sources.parts import identity_or_none, looks_like_machine

HIDDEN_NAMES = frozenset({"HIDDEN_DUE_TO_SECURITY_REASONS"})  # failed console sign-ins
SSO_ROLE_PREFIX = "AWSReservedSSO_"
_ARN_TYPES = (
    (re.compile(r":root$"), "Root"),
    (re.compile(r":user/"), "IAMUser"),
    (re.compile(r":assumed-role/"), "AssumedRole"),
    (re.compile(r":federated-user/"), "FederatedUser"),
)


def user_kind(name: str | None) -> IdentityKind:
    return "service_account" if looks_like_machine(name) else "person"


def type_from_arn(arn: str | None) -> str | None:
    for pattern, type_name in _ARN_TYPES:
        if arn and pattern.search(arn):
            return type_name
    return None


def arn_part(arn: str | None, marker: str, index: int = 0) -> str | None:
    """The index-th "/"-separated piece after marker in arn: arn_part(a, ":user/") → login."""
    if not arn or marker not in arn:
        return None
    pieces = arn.split(marker, 1)[1].split("/")
    return (pieces[index] or None) if index < len(pieces) else None


def from_user_identity(user_identity: Any) -> Identity | None:
    """The actor a CloudTrail userIdentity block names, or None when it names no one."""
    if not isinstance(user_identity, Mapping):
        return None
    arn = text(user_identity, "arn")
    type_name = text(user_identity, "type") or type_from_arn(arn) or "Unknown"
    build = _BUILDERS.get(type_name, _other)
    return identity_or_none(build(user_identity, arn))


def _user_name(block: Mapping[str, Any]) -> str | None:
    name = text(block, "username")
    return None if name in HIDDEN_NAMES else name


def _root(block: Mapping[str, Any], arn: str | None) -> Identity:
    provider_id = text(block, "principalid", "accountid")
    return Identity(
        kind="person", provider_id=provider_id, arn=arn, name=_user_name(block) or "root"
    )


def _iam_user(block: Mapping[str, Any], arn: str | None) -> Identity:
    name = _user_name(block) or arn_part(arn, ":user/", -1)
    return Identity(
        kind=user_kind(name), provider_id=text(block, "principalid"), arn=arn, name=name
    )


def _assumed_role(block: Mapping[str, Any], arn: str | None) -> Identity:
    principal_id = text(block, "principalid")
    role = text(block, "sessioncontext.sessionissuer.username") or arn_part(arn, ":assumed-role/")
    session = arn_part(arn, ":assumed-role/", 1) or _after_colon(principal_id)
    source_identity = text(block, "sessioncontext.sourceidentity")
    return role_session(role, session, arn=arn, principal_id=principal_id, person=source_identity)


def role_session(
    role: str | None,
    session: str | None,
    *,
    arn: str | None = None,
    principal_id: str | None = None,
    person: str | None = None,
) -> Identity:
    """A role session: a person when the session names one (email, SSO role, source identity)."""
    human = person or (session if session and "@" in session else None)
    if human is None and role and role.startswith(SSO_ROLE_PREFIX):
        human = session
    if human is not None:
        email = human if "@" in human else None
        return Identity(kind="person", provider_id=principal_id, email=email, arn=arn, name=human)
    return Identity(kind="service_account", provider_id=principal_id, arn=arn, name=role)


def _after_colon(principal_id: str | None) -> str | None:
    """The session part of an "AROA…:session" principal id."""
    if not principal_id or ":" not in principal_id:
        return None
    return principal_id.split(":", 1)[1] or None


def _aws_service(block: Mapping[str, Any], arn: str | None) -> Identity:
    name = text(block, "invokedby")
    return Identity(kind="service_account", provider_id=text(block, "principalid"), name=name)


def _federated(block: Mapping[str, Any], arn: str | None) -> Identity:
    principal_id = text(block, "principalid")
    name = arn_part(arn, ":federated-user/") or _after_colon(principal_id)
    return Identity(kind=user_kind(name), provider_id=principal_id, arn=arn, name=name)


def _signed_in_person(block: Mapping[str, Any], arn: str | None) -> Identity:
    name = _user_name(block)
    email = name if name and "@" in name else None
    provider_id = text(block, "principalid", "onbehalfof.userid")
    return Identity(kind="person", provider_id=provider_id, email=email, arn=arn, name=name)


def _account(block: Mapping[str, Any], arn: str | None) -> Identity:
    """A caller from another account: who in it (the principal and its session), not only
    which account."""
    account = text(block, "accountid")
    principal = text(block, "principalid")
    session = _after_colon(principal)
    email = session if session and "@" in session else None
    who = session or principal or text(block, "invokedby")
    name = f"{who} in account {account}" if who and account and who != account else who or account
    kind: IdentityKind = "person" if email else "unknown"
    return Identity(kind=kind, provider_id=principal or account, email=email, arn=arn, name=name)


def _other(block: Mapping[str, Any], arn: str | None) -> Identity:
    provider_id = text(block, "principalid")
    return Identity(kind="unknown", provider_id=provider_id, arn=arn, name=_user_name(block))


_BUILDERS: dict[str, Callable[[Mapping[str, Any], str | None], Identity]] = {
    "Root": _root,
    "IAMUser": _iam_user,
    "AssumedRole": _assumed_role,
    "AWSService": _aws_service,
    "FederatedUser": _federated,
    "SAMLUser": _signed_in_person,
    "WebIdentityUser": _signed_in_person,
    "IdentityCenterUser": _signed_in_person,
    "AWSAccount": _account,
}


def from_principal_type(
    type_name: str | None, name: str | None, principal_id: str | None
) -> Identity:
    """A principal given as (type, name, id), as GuardDuty's accessKeyDetails and titles do."""
    if type_name == "Root":
        return Identity(kind="person", provider_id=principal_id, name=name or "root")
    if type_name == "AssumedRole":
        return role_session(name, _after_colon(principal_id), principal_id=principal_id)
    if type_name == "AWSService":
        return Identity(kind="service_account", provider_id=principal_id, name=name)
    kind: IdentityKind = user_kind(name) if type_name in {"IAMUser", "FederatedUser"} else "unknown"
    return Identity(kind=kind, provider_id=principal_id, name=name)
