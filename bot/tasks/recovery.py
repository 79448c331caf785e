"""Reclaiming what a dead process held: its running tasks and its claimed triage groups.

A task whose owner is provably dead (bot.tasks.owners) is ended as "abandoned": its row gets
its end, its credentials are revoked, and task.end is audited, as if it had ended in its process. A
triage group claimed by a dead worker is made due again at once, instead of after its lease;
the next claim counts another attempt, so a group that kills its workers still ends failed.

Runtime runs end_abandoned_tasks at start-up (before the credential sweep); the triage workers
run recover() every RECOVERY_SECONDS.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.alerts.tables import RUNNING, TriageGroupRecord
from bot.clock import as_utc, utcnow
from bot.db import session_scope
from bot.db_deadline import read_only
from bot.errors import CredentialError
from bot.tasks.owners import task_owner_dead, worker_dead
from bot.tasks.records import TaskRecord

if TYPE_CHECKING:
    from bot.audit.log import AuditLog
    from bot.tasks.credentials import CredentialBroker

log = logging.getLogger(__name__)

ABANDONED = "abandoned"
RECOVERY_SECONDS = 5.0


@dataclass
class RecoveryReport:
    tasks: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)


def recover(engine: Engine, audit: AuditLog, broker: CredentialBroker) -> RecoveryReport:
    return RecoveryReport(
        tasks=end_abandoned_tasks(engine, audit, broker), groups=release_dead_claims(engine)
    )


def end_abandoned_tasks(engine: Engine, audit: AuditLog, broker: CredentialBroker) -> list[str]:
    """End every running task whose owner is provably dead; their ids."""
    with session_scope(read_only(engine)) as session:
        running = list(session.exec(select(TaskRecord).where(TaskRecord.status == "running")))
    ended = [
        task.id
        for task in running
        if task_owner_dead(engine, task) and _abandon(engine, audit, broker, task)
    ]
    if ended:
        log.warning("ended %d tasks whose process died: %s", len(ended), ", ".join(ended[:10]))
    return ended


def _abandon(engine: Engine, audit: AuditLog, broker: CredentialBroker, task: TaskRecord) -> bool:
    now = utcnow()
    with session_scope(engine) as session:
        changed = session.execute(
            update(TaskRecord)
            .where(col(TaskRecord.id) == task.id, col(TaskRecord.status) == "running")
            .values(status=ABANDONED, ended_at=now, summary="its process died")
        )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        return False  # another process got there first, or the task ended meanwhile
    revoke_error = None
    try:
        broker.revoke_task(task.id, reason="task abandoned: its process died", ended_at=now)
    except CredentialError as exc:
        revoke_error = str(exc)  # the sweep tries again
    audit.record(
        "task.end",
        task_id=task.id,
        actor=task.actor,
        data={
            "status": ABANDONED,
            "reason": "its process died",
            "owner": f"{task.owner_host}:{task.owner_pid}",
            "seconds": round((now - as_utc(task.started_at)).total_seconds(), 3),
            "revocation_failed": revoke_error,
        },
    )
    return True


def release_dead_claims(engine: Engine) -> list[str]:
    """Make the groups held by dead workers due now; their ids."""
    with session_scope(read_only(engine)) as session:
        held = session.exec(
            select(
                TriageGroupRecord.id, TriageGroupRecord.worker, TriageGroupRecord.updated_at
            ).where(TriageGroupRecord.status == RUNNING)
        ).all()
    released = [
        group_id
        for group_id, worker, taken_at in held
        if worker
        and worker_dead(engine, worker, as_utc(taken_at))
        and _release(engine, group_id, worker)
    ]
    if released:
        log.warning("took back %d triage groups from dead workers", len(released))
    return released


def _release(engine: Engine, group_id: str, worker: str) -> bool:
    now = utcnow()
    with session_scope(engine) as session:
        changed = session.execute(
            update(TriageGroupRecord)
            .where(
                col(TriageGroupRecord.id) == group_id,
                col(TriageGroupRecord.worker) == worker,
                col(TriageGroupRecord.status) == RUNNING,
            )
            .values(next_attempt_at=now, updated_at=now)
        )
        return bool(changed.rowcount == 1)  # type: ignore[attr-defined]
