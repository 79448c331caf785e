"""The blast radius an approval card shows: what the target's owner could reach.

It is read from the audit log, where every assess_blast_radius result is recorded (the triage
that parked the action usually assessed the target). When none is on record, the card asks
for one through the gate, as a read-only call of the policy's assess_blast_radius tool in a
task of its own, so the assessment is policy-checked and audited like any other.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.actions.approvals import ActionRequest
from bot.audit.event import AUDIT_TABLE, row_dict
from bot.clock import as_utc
from bot.runtime import Runtime

log = logging.getLogger(__name__)

TOOL = "assess_blast_radius"
ACTOR = "slack"
RECENT = timedelta(hours=24)  # older assessments describe a different organisation
LOOKBACK_ROWS = 200
MAX_ATTEMPTS = 3


def blast_radius_for(runtime: Runtime, request: ActionRequest) -> dict[str, Any] | None:
    """The newest recorded assessment of the request's target, if one is recent enough."""
    if not request.target:
        return None
    names = {request.target.lower(), *request.target_aliases}
    since = as_utc(request.created_at) - RECENT
    for row in _recent_results(runtime):
        result = _ok_result(row["data"])
        if as_utc(row["ts"]) < since:
            return None
        if result is not None and str(result.get("identity", "")).lower() in names:
            return dict(result)
    return None


def assess_now(runtime: Runtime, request: ActionRequest) -> dict[str, Any] | None:
    """Ask the gate for an assessment of the target (or, for a key or grant, its owner)."""
    if not request.target or TOOL not in runtime.policies.current.tools:
        return None
    subject = {"request_id": request.id, "why": "approval card"}
    with runtime.tasks.run("card", ACTOR, runtime.task_limits(), subject=subject) as task:
        for name in _candidates(request)[:MAX_ATTEMPTS]:
            outcome = runtime.executor.call(task, TOOL, {"identity": name}, actor=ACTOR)
            result = outcome.content.get("result") if outcome.status == "ok" else None
            if isinstance(result, Mapping):
                return dict(result)
    return None


def _candidates(request: ActionRequest) -> list[str]:
    """The target first; then its owner's other names (an ARN names one identity)."""
    target = (request.target or "").lower()
    others = sorted((a for a in request.target_aliases if a != target), key=_preference)
    return [request.target or "", *others]


def _preference(alias: str) -> tuple[int, str]:
    return (0 if alias.startswith("arn:") else 1 if "@" in alias else 2, alias)


def _recent_results(runtime: Runtime) -> Iterable[dict[str, Any]]:
    table = AUDIT_TABLE
    query = (
        select(*table.c)
        .where(table.c.kind == "tool.result", table.c.tool == TOOL)
        .order_by(table.c.seq.desc())
        .limit(LOOKBACK_ROWS)
    )
    with runtime.engine.connect() as conn:
        rows = conn.execute(query).all()
    return (row_dict(row) for row in rows)


def _ok_result(data: str) -> Mapping[str, Any] | None:
    try:
        parsed = json.loads(data)
    except ValueError:
        return None
    result = parsed.get("result") if parsed.get("status") == "ok" else None
    return result if isinstance(result, Mapping) else None
