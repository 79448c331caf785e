"""Blast radius: how much an attacker holding this identity could reach, as one number that
its breakdown explains (score = sum of count × weight over the components)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from tools.providers.lab.lookup import groups_of
from tools.providers.lab.models import ACTIVE, LabGroup, LabIdentity
from tools.providers.lab.views import grants_of, keys_of, session_state, sessions_of

WEIGHTS = {
    "directory_admin": 30,  # the identity itself is an administrator or break-glass account
    "privileged_groups": 20,
    "other_groups": 1,
    "privileged_permissions": 5,  # distinct roles and permissions reached through those groups
    "other_permissions": 1,
    "active_access_keys": 10,  # standing credentials that work without MFA
    "risky_oauth_grants": 10,
    "other_oauth_grants": 2,
    "active_sessions": 3,
}
LEVELS = ((100, "critical"), (50, "high"), (20, "medium"), (0, "low"))


def component(name: str, items: list[str]) -> dict[str, Any]:
    weight = WEIGHTS[name]
    return {
        "component": name,
        "count": len(items),
        "weight": weight,
        "points": len(items) * weight,
        "items": items,
    }


def permission_items(groups: list[LabGroup]) -> tuple[list[str], list[str]]:
    privileged = sorted({grant for g in groups if g.privileged for grant in g.grants})
    other = sorted({grant for g in groups for grant in g.grants} - set(privileged))
    return privileged, other


def breakdown(session: Session, identity: LabIdentity, now: datetime) -> list[dict[str, Any]]:
    groups = groups_of(session, identity.id)
    privileged_permissions, other_permissions = permission_items(groups)
    grants = [g for g in grants_of(session, identity.id) if g.revoked_at is None]
    sessions = [s for s in sessions_of(session, identity.id) if session_state(s, now) == ACTIVE]
    admin = identity.privileged or identity.break_glass
    return [
        component("directory_admin", [identity.id] if admin else []),
        component("privileged_groups", [g.id for g in groups if g.privileged]),
        component("other_groups", [g.id for g in groups if not g.privileged]),
        component("privileged_permissions", privileged_permissions),
        component("other_permissions", other_permissions),
        component(
            "active_access_keys",
            [k.id for k in keys_of(session, identity.id) if k.status == ACTIVE],
        ),
        component("risky_oauth_grants", [f"{g.id} ({g.app_name})" for g in grants if g.risky]),
        component("other_oauth_grants", [f"{g.id} ({g.app_name})" for g in grants if not g.risky]),
        component("active_sessions", [s.id for s in sessions]),
    ]


def blast_radius_view(session: Session, identity: LabIdentity, now: datetime) -> dict[str, Any]:
    parts = breakdown(session, identity, now)
    score = sum(part["points"] for part in parts)
    level = next(name for floor, name in LEVELS if score >= floor)
    return {
        "identity": identity.id,
        "kind": identity.kind,
        "status": identity.status,
        "score": score,
        "level": level,
        "explanation": "score is the sum of points; each component's points = count × weight",
        "breakdown": parts,
    }
