"""Which live credentials must go, and why: the sweeper's rules.

A credential outlives nothing: not its ttl, not its task, not the task's deadline, not the
process that holds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import as_utc
from bot.tasks.owners import task_owner_dead_here
from bot.tasks.records import CredentialRecord, TaskRecord


@dataclass(frozen=True)
class Revocation:
    credential_id: str
    verified: bool
    lag_ms: float


@dataclass(frozen=True)
class SweepReport:
    examined: int
    revoked: list[Revocation]
    failed: list[str] = field(default_factory=list)


def revocation_due(
    record: CredentialRecord, task: TaskRecord | None, now: datetime
) -> tuple[str, datetime] | None:
    """Why and since when a live credential should be gone; None while it may live."""
    expires = as_utc(record.expires_at)
    if expires <= now:
        return "ttl passed", expires
    if task is None:
        return "task unknown", as_utc(record.issued_at)
    if task.ended_at is not None:
        return "task ended", as_utc(task.ended_at)
    if as_utc(task.deadline_at) <= now:
        return "task deadline passed", as_utc(task.deadline_at)
    if task_owner_dead_here(task):
        return "task's process is gone", now
    return None
