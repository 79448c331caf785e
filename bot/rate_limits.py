"""Tool rate limits count what ran, not what was asked for.

A run is a credential issued for the tool: reads get one when they run, actions when an
approved request executes. Parking an action for approval issues none, so a triage that
parks junk requests cannot use up the limit that real, approved actions need; execution
checks the limit again, since approvals may arrive together.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.clock import utcnow
from bot.credentials import CredentialRecord
from bot.db import session_scope
from bot.policy import ToolRule


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
