"""Finding things in the lab by any of their names, without regard to case."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import func, or_
from sqlmodel import Session, SQLModel, select

from tools.base import TargetInfo
from tools.errors import NotFound, ProviderError
from tools.providers.lab.models import (
    LabAccessKey,
    LabGroup,
    LabIdentity,
    LabMembership,
    LabOAuthGrant,
    LabSession,
)

Row = TypeVar("Row", bound=SQLModel)

IDENTITY_NAMES = (
    LabIdentity.id,
    LabIdentity.email,
    LabIdentity.name,
    LabIdentity.arn,
    LabIdentity.slack_user_id,
)


def matching(session: Session, model: type[Row], columns: tuple[Any, ...], ref: str) -> list[Row]:
    wanted = ref.strip().lower()
    query = select(model).where(or_(*(func.lower(column) == wanted for column in columns)))
    return list(session.exec(query).all())


def only_match(rows: list[Row], what: str, ref: str) -> Row | None:
    if len(rows) > 1:
        raise ProviderError(f"{ref!r} names more than one {what}: use its id")
    return rows[0] if rows else None


def maybe_identity(session: Session, ref: str) -> LabIdentity | None:
    return only_match(matching(session, LabIdentity, IDENTITY_NAMES, ref), "identity", ref)


def find_identity(session: Session, ref: str) -> LabIdentity:
    identity = maybe_identity(session, ref)
    if identity is None:
        raise NotFound(f"no identity matches {ref!r}: give an id, email, name, ARN or Slack id")
    return identity


def find_key(session: Session, key_id: str) -> LabAccessKey:
    key = only_match(matching(session, LabAccessKey, (LabAccessKey.id,), key_id), "key", key_id)
    if key is None:
        raise NotFound(f"no access key {key_id!r}: list_access_keys shows an identity's keys")
    return key


def find_grant(session: Session, grant_id: str) -> LabOAuthGrant:
    rows = matching(session, LabOAuthGrant, (LabOAuthGrant.id,), grant_id)
    grant = only_match(rows, "OAuth grant", grant_id)
    if grant is None:
        raise NotFound(f"no OAuth grant {grant_id!r}: list_oauth_grants shows the grant ids")
    return grant


def maybe_group(session: Session, ref: str) -> LabGroup | None:
    return only_match(matching(session, LabGroup, (LabGroup.id, LabGroup.name), ref), "group", ref)


def find_group(session: Session, ref: str) -> LabGroup:
    group = maybe_group(session, ref)
    if group is None:
        raise NotFound(f"no group matches {ref!r}: get_identity lists an identity's groups")
    return group


def groups_of(session: Session, identity_id: str) -> list[LabGroup]:
    query = (
        select(LabGroup)
        .join(LabMembership, LabMembership.group_id == LabGroup.id)  # type: ignore[arg-type]
        .where(LabMembership.identity_id == identity_id)
        .order_by(LabGroup.id)
    )
    return list(session.exec(query).all())


def identity_aliases(identity: LabIdentity) -> frozenset[str]:
    names = (identity.id, identity.email, identity.name, identity.arn, identity.slack_user_id)
    return frozenset(name.lower() for name in names if name)


def owned_target(session: Session, ref: str) -> tuple[str, str, str] | None:
    """(kind, own id, owner id) of the key, grant or session `ref` names, if any."""
    owned: tuple[tuple[type[Any], str], ...] = (
        (LabAccessKey, "access_key"),
        (LabOAuthGrant, "oauth_grant"),
        (LabSession, "session"),
    )
    for model, kind in owned:
        row = only_match(matching(session, model, (model.id,), ref), kind, ref)
        if row is not None:
            return kind, row.id, row.identity_id
    return None


def resolve_target(session: Session, ref: str) -> TargetInfo:
    identity = maybe_identity(session, ref)
    if identity is not None:
        return TargetInfo(ref, identity.kind, identity.id, identity_aliases(identity))
    owned = owned_target(session, ref)
    if owned is not None:
        kind, own_id, owner_id = owned
        owner = find_identity(session, owner_id)
        return TargetInfo(ref, kind, owner.id, identity_aliases(owner) | {own_id.lower()})
    group = maybe_group(session, ref)
    if group is not None:
        return TargetInfo(ref, "group", None, frozenset({group.id.lower(), group.name.lower()}))
    raise NotFound(f"nothing in the lab is called {ref!r}: give an identity, key, grant or group")
