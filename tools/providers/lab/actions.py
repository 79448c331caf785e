"""The lab's containment actions. Each changes the organisation for good and says what changed;
repeating one is harmless and reports `changed: false`. No secret is ever returned."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlmodel import Session

from tools.errors import ProviderError
from tools.providers.lab.lookup import find_grant, find_group, find_identity, find_key
from tools.providers.lab.models import (
    ACTIVE,
    INACTIVE,
    SUSPENDED,
    LabAccessKey,
    LabMembership,
    make_access_key_id,
)
from tools.providers.lab.views import iso, session_state, sessions_of
from tools.shared import sha256_hex

SECRET_DELIVERY = "the new secret went to the owner's secret store; it is never shown here"


def revoke_sessions(session: Session, ref: str, now: datetime) -> dict[str, Any]:
    identity = find_identity(session, ref)
    active = [row for row in sessions_of(session, identity.id) if session_state(row, now) == ACTIVE]
    for row in active:
        row.revoked_at = now
        session.add(row)
    return {
        "identity": identity.id,
        "revoked_count": len(active),
        "revoked_session_ids": [row.id for row in active],
        "revoked_at": iso(now),
        "changed": bool(active),
    }


def suspend_identity(session: Session, ref: str) -> dict[str, Any]:
    identity = find_identity(session, ref)
    previous = identity.status
    identity.status = SUSPENDED
    session.add(identity)
    return {
        "identity": identity.id,
        "previous_status": previous,
        "status": SUSPENDED,
        "changed": previous != SUSPENDED,
    }


def deactivate_access_key(session: Session, key_id: str) -> dict[str, Any]:
    key = find_key(session, key_id)
    previous = key.status
    key.status = INACTIVE
    session.add(key)
    return {
        "key_id": key.id,
        "identity": key.identity_id,
        "previous_status": previous,
        "status": INACTIVE,
        "changed": previous != INACTIVE,
    }


def fresh_key(identity_id: str, now: datetime) -> LabAccessKey:
    key_id = make_access_key_id(secrets.choice)
    # The secret is made, fingerprinted and dropped here: the lab's store is simulated.
    secret = secrets.token_urlsafe(30)
    return LabAccessKey(
        id=key_id,
        identity_id=identity_id,
        status=ACTIVE,
        created_at=now,
        secret_sha256=sha256_hex(secret),
    )


def rotate_access_key(session: Session, key_id: str, now: datetime) -> dict[str, Any]:
    old = find_key(session, key_id)
    if old.status != ACTIVE:
        raise ProviderError(
            f"access key {old.id} is already inactive: there is nothing to rotate; "
            "issue a new key only once the owner is cleared"
        )
    new = fresh_key(old.identity_id, now)
    old.status = INACTIVE
    session.add_all([old, new])
    return {
        "identity": old.identity_id,
        "old_key_id": old.id,
        "old_status": INACTIVE,
        "new_key_id": new.id,
        "new_status": ACTIVE,
        "secret_delivery": SECRET_DELIVERY,
        "changed": True,
    }


def revoke_oauth_grant(session: Session, grant_id: str, now: datetime) -> dict[str, Any]:
    grant = find_grant(session, grant_id)
    changed = grant.revoked_at is None
    if changed:
        grant.revoked_at = now
        session.add(grant)
    return {
        "grant_id": grant.id,
        "identity": grant.identity_id,
        "app_name": grant.app_name,
        "scopes": list(grant.scopes),
        "revoked_at": iso(grant.revoked_at),
        "changed": changed,
    }


def reset_mfa(session: Session, ref: str) -> dict[str, Any]:
    identity = find_identity(session, ref)
    removed = list(identity.mfa_factors)
    identity.mfa_factors, identity.mfa_enrolled = [], False
    session.add(identity)
    return {
        "identity": identity.id,
        "factors_removed": removed,
        "mfa_enrolled": False,
        "next_step": "the owner must enrol a new factor at next sign-in",
        "changed": bool(removed),
    }


def remove_from_group(session: Session, ref: str, group_ref: str) -> dict[str, Any]:
    identity = find_identity(session, ref)
    group = find_group(session, group_ref)
    membership = session.get(LabMembership, (identity.id, group.id))
    if membership is not None:
        session.delete(membership)
    return {
        "identity": identity.id,
        "group": group.id,
        "group_privileged": group.privileged,
        "removed": membership is not None,
        "changed": membership is not None,
    }
