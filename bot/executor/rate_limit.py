"""Per-tool rate limits, counted in the database so every process shares one count."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.actions.approvals import ActionRequest
from bot.clock import utcnow
from bot.db import session_scope
from bot.policy import Decision, ToolRule
from bot.tasks.records import CredentialRecord


def apply_rate_limit(engine: Engine, decision: Decision, rule: ToolRule) -> Decision:
    """The decision, or a denial naming the limit when the tool has used it up."""
    name, limit = rule.name, rule.rate_limit
    if limit is None or decision.outcome == "deny":
        return decision
    since = utcnow() - timedelta(seconds=limit.per_seconds)
    used = _count_recent(engine, name, decision.outcome, since)
    if used < limit.calls:
        return decision
    reason = f"{name} is limited to {limit.calls} calls per {limit.per_seconds}s; {used} used"
    return Decision(
        "deny", f"tools.{name}.rate_limit", reason, decision.policy_version, decision.mode
    )


def _count_recent(engine: Engine, name: str, outcome: str, since: datetime) -> int:
    if outcome == "run":
        query = (
            select(func.count())
            .select_from(CredentialRecord)
            .where(CredentialRecord.tool == name, col(CredentialRecord.issued_at) >= since)
        )
    else:
        query = (
            select(func.count())
            .select_from(ActionRequest)
            .where(ActionRequest.tool == name, col(ActionRequest.created_at) >= since)
        )
    with session_scope(engine) as session:
        return int(session.exec(query).one())
