"""Tasks left `running` by a process that died (kill -9, a crash, a lost host) are marked
`abandoned` by the sweeper, with a task.end row, so lineage and the digest do not show them
as still running forever.

A task counts as abandoned when its process is gone from this host, or, wherever it ran,
when its deadline passed more than GRACE ago (a live task ends itself at its deadline).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.clock import as_utc
from bot.db import session_scope
from bot.tasks.records import TaskRecord

if TYPE_CHECKING:
    from bot.audit.log import AuditLog

ABANDONED = "abandoned"
GRACE = timedelta(minutes=15)


def abandon_orphaned_tasks(
    engine: Engine, audit: AuditLog, now: datetime, is_dead: Callable[[TaskRecord], bool]
) -> list[str]:
    """Mark every orphaned running task abandoned; their ids."""
    with session_scope(engine) as session:
        running = list(session.exec(select(TaskRecord).where(TaskRecord.status == "running")))
    done = []
    for task in running:
        why = _why_orphaned(task, now, is_dead)
        if why is not None and _mark(engine, task.id, now):
            audit.record(
                "task.end",
                task_id=task.id,
                actor=task.actor,
                data={"status": ABANDONED, "reason": why, "swept": True},
            )
            done.append(task.id)
    return done


def _why_orphaned(
    task: TaskRecord, now: datetime, is_dead: Callable[[TaskRecord], bool]
) -> str | None:
    if is_dead(task):
        return "its process is gone"
    if as_utc(task.deadline_at) + GRACE <= now:
        return "its deadline passed long ago without it ending"
    return None


def _mark(engine: Engine, task_id: str, now: datetime) -> bool:
    # Conditional on running: a task that ends itself meanwhile keeps its own status.
    with session_scope(engine) as session:
        result = session.execute(
            update(TaskRecord)
            .where(col(TaskRecord.id) == task_id, col(TaskRecord.status) == "running")
            .values(status=ABANDONED, ended_at=now, summary="abandoned: swept")
        )
        return bool(getattr(result, "rowcount", 0) == 1)
