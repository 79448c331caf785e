"""Operator views of the lab for the CLI. They bypass credentials on purpose: they are for
the person running socbot, never reachable by the model or a tool."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from tools.providers.lab.blast import blast_radius_view
from tools.providers.lab.lookup import find_identity
from tools.providers.lab.models import (
    LabAccessKey,
    LabAuthEvent,
    LabCredential,
    LabGroup,
    LabIdentity,
    LabMembership,
    LabOAuthGrant,
    LabSession,
)
from tools.providers.lab.views import (
    auth_events_view,
    grants_view,
    identity_view,
    keys_view,
    sessions_view,
)
from tools.shared import session_scope, utcnow

OPERATOR_EVENT_HOURS = 24
OPERATOR_EVENT_LIMIT = 20


def count(session: Session, model: type[SQLModel], *conditions: Any) -> int:
    query = select(func.count()).select_from(model).where(*conditions)
    return int(session.exec(query).one())


def counted_by(session: Session, column: Any) -> dict[str, int]:
    query = select(column, func.count()).group_by(column)
    return {str(value): int(number) for value, number in session.exec(query).all()}


def lab_overview(engine: Engine) -> dict[str, Any]:
    """How many of each thing the lab holds, by kind and status."""
    now = utcnow()
    with session_scope(engine) as session:
        live = (col(LabSession.revoked_at).is_(None), col(LabSession.expires_at) > now)
        open_grant = col(LabOAuthGrant.revoked_at).is_(None)
        return {
            "identities_by_kind": counted_by(session, LabIdentity.kind),
            "identities_by_status": counted_by(session, LabIdentity.status),
            "break_glass": count(session, LabIdentity, col(LabIdentity.break_glass)),
            "groups": count(session, LabGroup),
            "privileged_groups": count(session, LabGroup, col(LabGroup.privileged)),
            "memberships": count(session, LabMembership),
            "access_keys_by_status": counted_by(session, LabAccessKey.status),
            "oauth_grants_active": count(session, LabOAuthGrant, open_grant),
            "oauth_grants_risky_active": count(
                session, LabOAuthGrant, open_grant, col(LabOAuthGrant.risky)
            ),
            "sessions_active": count(session, LabSession, *live),
            "sessions_total": count(session, LabSession),
            "auth_events_total": count(session, LabAuthEvent),
            "auth_events_last_24h": count(
                session, LabAuthEvent, col(LabAuthEvent.occurred_at) >= now - timedelta(days=1)
            ),
            "credentials": credential_counts(session),
        }


def credential_counts(session: Session) -> dict[str, int]:
    now = utcnow()
    revoked = col(LabCredential.revoked_at).isnot(None)
    expired = (col(LabCredential.revoked_at).is_(None), col(LabCredential.expires_at) <= now)
    live = (col(LabCredential.revoked_at).is_(None), col(LabCredential.expires_at) > now)
    return {
        "live": count(session, LabCredential, *live),
        "revoked": count(session, LabCredential, revoked),
        "expired": count(session, LabCredential, *expired),
    }


def describe_identity_for_operator(engine: Engine, ref: str) -> dict[str, Any]:
    """Everything the lab knows about one identity, without a credential (CLI only)."""
    now = utcnow()
    with session_scope(engine) as session:
        identity = find_identity(session, ref)
        return {
            "identity": identity_view(session, identity),
            "access_keys": keys_view(session, identity, now),
            "sessions": sessions_view(session, identity, now),
            "oauth_grants": grants_view(session, identity),
            "recent_auth_events": auth_events_view(
                session, identity, OPERATOR_EVENT_HOURS, OPERATOR_EVENT_LIMIT, now
            ),
            "blast_radius": blast_radius_view(session, identity, now),
        }
