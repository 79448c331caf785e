"""Per-tool rate limits count what ran, not what was asked for; one task may park only so many.

A run is a credential issued for the tool: reads get one when they run, actions when an
approved request executes. Parking an action for approval issues none, so a triage that
parks junk requests cannot use up the limit that real, approved actions need; execution
checks the limit again (bot.executor.revalidation), since approvals may arrive together.
Counted in the database, so every process shares one count.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.clock import utcnow
from bot.db import session_scope
from bot.policy import Decision, ToolRule
from bot.tasks.records import CredentialRecord
from bot.tasks.runner import TaskHandle


def apply_rate_limit(engine: Engine, decision: Decision, rule: ToolRule) -> Decision:
    """The decision, or a denial naming the limit when the tool has used it up."""
    if decision.outcome == "deny":
        return decision
    reason = rate_limit_reason(engine, rule)
    if reason is None:
        return decision
    return Decision(
        "deny", f"{rule.rule}.rate_limit", reason, decision.policy_version, decision.mode
    )


def apply_parked_cap(task: TaskHandle, decision: Decision) -> Decision:
    """The decision, or a denial once the task has parked or drafted its most actions."""
    if decision.outcome not in ("recommend", "require_approval"):
        return decision
    task.parked += 1
    reason = parked_cap_reason(task.parked, task.limits.parked_actions)
    if reason is None:
        return decision
    return Decision(
        "deny", "task_limits.parked_actions", reason, decision.policy_version, decision.mode
    )


def runs_since(engine: Engine, tool: str, seconds: int) -> int:
    since = utcnow() - timedelta(seconds=seconds)
    query = (
        select(func.count())
        .select_from(CredentialRecord)
        .where(CredentialRecord.tool == tool, col(CredentialRecord.issued_at) >= since)
    )
    with session_scope(engine) as session:
        return int(session.exec(query).one())


def rate_limit_reason(engine: Engine, rule: ToolRule) -> str | None:
    """Why the tool may not run once more now, or None while it is under its limit."""
    limit = rule.rate_limit
    if limit is None:
        return None
    used = runs_since(engine, rule.name, limit.per_seconds)
    if used < limit.calls:
        return None
    return f"{rule.name} is limited to {limit.calls} runs per {limit.per_seconds}s; {used} ran"


def parked_cap_reason(parked: int, allowed: int) -> str | None:
    if parked <= allowed:
        return None
    return (
        f"this task has already asked for {allowed} actions, the most one task may park or "
        "draft; ask a human to look instead"
    )
