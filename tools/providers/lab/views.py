"""What the lab shows about an identity: compact JSON-able dicts a triage model can read."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from tools.errors import ProviderError
from tools.providers.lab.lookup import groups_of
from tools.providers.lab.models import (
    ACTIVE,
    SERVICE_ACCOUNT,
    LabAccessKey,
    LabAuthEvent,
    LabIdentity,
    LabOAuthGrant,
    LabSession,
)
from tools.shared import as_utc

MAX_SESSIONS_SHOWN = 20
MAX_EVENT_HOURS = 24 * 90
MAX_EVENTS = 500
BASELINE_DAYS = 30  # what "new" in an auth-event window is measured against


def iso(value: datetime | None) -> str | None:
    return None if value is None else as_utc(value).isoformat(timespec="seconds")


def identity_view(session: Session, identity: LabIdentity) -> dict[str, Any]:
    groups = groups_of(session, identity.id)
    privileged_groups = [group.id for group in groups if group.privileged]
    view: dict[str, Any] = {
        "id": identity.id,
        "kind": identity.kind,
        "name": identity.name,
        "email": identity.email,
        "arn": identity.arn,
        "slack_user_id": identity.slack_user_id,
        "department": identity.department,
        "title": identity.title,
        "status": identity.status,
        "privileged": identity.privileged or bool(privileged_groups),
        "directory_admin": identity.privileged,
        "break_glass": identity.break_glass,
        "privileged_groups": privileged_groups,
        "mfa": {"enrolled": identity.mfa_enrolled, "factors": list(identity.mfa_factors)},
        "created_at": iso(identity.created_at),
        "last_login": iso(identity.last_login),
        "groups": [{"id": g.id, "name": g.name, "privileged": g.privileged} for g in groups],
    }
    if identity.kind == SERVICE_ACCOUNT:
        view["owner_id"] = identity.owner_id
    return view


def keys_of(session: Session, identity_id: str) -> list[LabAccessKey]:
    query = select(LabAccessKey).where(LabAccessKey.identity_id == identity_id)
    return list(session.exec(query.order_by(col(LabAccessKey.created_at).desc())).all())


def key_view(key: LabAccessKey, now: datetime) -> dict[str, Any]:
    return {
        "key_id": key.id,
        "status": key.status,
        "created_at": iso(key.created_at),
        "age_days": (now - as_utc(key.created_at)).days,
        "last_used_at": iso(key.last_used_at),
        "last_used_ip": key.last_used_ip,
        "last_used_region": key.last_used_region,
    }


def keys_view(session: Session, identity: LabIdentity, now: datetime) -> dict[str, Any]:
    keys = keys_of(session, identity.id)
    return {
        "identity": identity.id,
        "active_count": sum(1 for key in keys if key.status == ACTIVE),
        "keys": [key_view(key, now) for key in keys],
    }


def session_state(row: LabSession, now: datetime) -> str:
    if row.revoked_at is not None:
        return "revoked"
    return "active" if as_utc(row.expires_at) > now else "expired"


def sessions_of(session: Session, identity_id: str) -> list[LabSession]:
    query = select(LabSession).where(LabSession.identity_id == identity_id)
    return list(session.exec(query.order_by(col(LabSession.created_at).desc())).all())


def sessions_view(session: Session, identity: LabIdentity, now: datetime) -> dict[str, Any]:
    rows = sessions_of(session, identity.id)
    states = [session_state(row, now) for row in rows]
    shown = [
        {
            "session_id": row.id,
            "state": state,
            "ip": row.ip,
            "country": row.country,
            "user_agent": row.user_agent,
            "created_at": iso(row.created_at),
            "expires_at": iso(row.expires_at),
            "revoked_at": iso(row.revoked_at),
        }
        for row, state in zip(rows, states, strict=True)
    ][:MAX_SESSIONS_SHOWN]
    return {
        "identity": identity.id,
        "active_count": states.count("active"),
        "total": len(rows),
        "sessions": shown,
    }


def grants_of(session: Session, identity_id: str) -> list[LabOAuthGrant]:
    query = select(LabOAuthGrant).where(LabOAuthGrant.identity_id == identity_id)
    return list(session.exec(query.order_by(col(LabOAuthGrant.created_at).desc())).all())


def grants_view(session: Session, identity: LabIdentity) -> dict[str, Any]:
    grants = grants_of(session, identity.id)
    active = [grant for grant in grants if grant.revoked_at is None]
    shown = [
        {
            "grant_id": g.id,
            "app_name": g.app_name,
            "app_id": g.app_id,
            "scopes": list(g.scopes),
            "risky": g.risky,
            "state": "active" if g.revoked_at is None else "revoked",
            "created_at": iso(g.created_at),
            "revoked_at": iso(g.revoked_at),
        }
        for g in grants
    ]
    return {
        "identity": identity.id,
        "active_count": len(active),
        "risky_active_count": sum(1 for g in active if g.risky),
        "grants": shown,
    }


def events_between(
    session: Session, identity_id: str, start: datetime, end: datetime | None = None
) -> list[LabAuthEvent]:
    """Newest first; `end` is exclusive, and None means up to now."""
    query = select(LabAuthEvent).where(
        LabAuthEvent.identity_id == identity_id, col(LabAuthEvent.occurred_at) >= start
    )
    if end is not None:
        query = query.where(col(LabAuthEvent.occurred_at) < end)
    newest_first = (col(LabAuthEvent.occurred_at).desc(), col(LabAuthEvent.id).desc())
    return list(session.exec(query.order_by(*newest_first)).all())


def event_view(event: LabAuthEvent) -> dict[str, Any]:
    # User agents repeat and are long: the summary lists each once instead.
    return {
        "at": iso(event.occurred_at),
        "type": event.event_type,
        "outcome": event.outcome,
        "ip": event.ip,
        "country": event.country,
        "detail": event.detail,
    }


def check_window(hours: int, limit: int) -> None:
    if not 1 <= hours <= MAX_EVENT_HOURS:
        raise ProviderError(f"hours must be between 1 and {MAX_EVENT_HOURS}, not {hours}")
    if not 1 <= limit <= MAX_EVENTS:
        raise ProviderError(f"limit must be between 1 and {MAX_EVENTS}, not {limit}")


def auth_events_view(
    session: Session, identity: LabIdentity, hours: int, limit: int, now: datetime
) -> dict[str, Any]:
    check_window(hours, limit)
    since = now - timedelta(hours=hours)
    window = events_between(session, identity.id, since)
    baseline = events_between(session, identity.id, since - timedelta(days=BASELINE_DAYS), since)
    return {
        "identity": identity.id,
        "hours": hours,
        "total_in_window": len(window),
        "shown": min(limit, len(window)),
        "summary": window_summary(window, baseline),
        "events": [event_view(event) for event in window[:limit]],
    }


def window_summary(window: list[LabAuthEvent], baseline: list[LabAuthEvent]) -> dict[str, Any]:
    """Counts by type and outcome, and the places first seen in this window."""
    counts = Counter(f"{e.event_type}/{e.outcome}" for e in window)
    seen_countries = {e.country for e in baseline}
    seen_ips = {e.ip for e in baseline}
    return {
        "by_type_outcome": dict(sorted(counts.items())),
        "countries": sorted({e.country for e in window}),
        "ips": sorted({e.ip for e in window}),
        "user_agents": sorted({e.user_agent for e in window}),
        "new_countries": sorted({e.country for e in window} - seen_countries),
        "new_ips": sorted({e.ip for e in window} - seen_ips),
        "baseline_days": BASELINE_DAYS,
    }
