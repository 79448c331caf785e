"""The triage queue: triage_group rows are the jobs, shared by any number of workers.

claim() takes the oldest group that is due: queued and past its next attempt, or running
with an expired lease (its worker died). On PostgreSQL the pick is `SELECT … FOR UPDATE
SKIP LOCKED`, so workers never wait on or take the same row; on SQLite every transaction
begins IMMEDIATE (bot.db), which serialises claims. A claimed group's next_attempt_at is
its lease's end, so one index (status, next_attempt_at) finds both kinds of due group.

Each claim counts an attempt. A failed triage goes back to the queue after an exponential
backoff (backoff_seconds · 2^(attempt-1), capped) until settings.triage_max_attempts, then
it is marked failed and the failure is audited. complete() only counts for the worker that
still holds the claim.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from bot.alerts.tables import DONE, FAILED, QUEUED, RUNNING, TriageGroupRecord
from bot.alerts.triage.groups import group_alert_ids
from bot.alerts.triage.run import MAX_AUDITED_IDS
from bot.alerts.triage.verdict import TriageResult
from bot.audit.log import AuditLog
from bot.clock import utcnow
from bot.db import session_scope
from bot.posts import PostRef
from bot.tasks.heartbeat import INCARNATION

DEFAULT_LEASE_SECONDS = 600.0
DEFAULT_BACKOFF_SECONDS = 15.0
MAX_BACKOFF_SECONDS = 1_800.0
PUBLISH_RETRY_SECONDS = 60.0


@dataclass(frozen=True)
class Claim:
    group_id: str
    worker: str
    attempts: int
    source: str
    kind: str
    lease_until: datetime


def worker_name() -> str:
    """host:pid:incarnation.n; bot.tasks.recovery reads the owner back from it."""
    return f"{socket.gethostname()}:{os.getpid()}:{INCARNATION}.{uuid.uuid4().hex[:6]}"


class TriageQueue:
    def __init__(
        self,
        engine: Engine,
        audit: AuditLog,
        *,
        max_attempts: int,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
    ) -> None:
        self.engine = engine
        self._audit = audit
        self.max_attempts = max_attempts
        self.lease = timedelta(seconds=lease_seconds)
        self._backoff = backoff_seconds

    def claim(self, worker: str, *, group_id: str | None = None) -> Claim | None:
        """The next due group (or the one named), now running under worker's lease; None
        when nothing is due."""
        now = utcnow()
        due = col(TriageGroupRecord.next_attempt_at) <= now
        status = col(TriageGroupRecord.status)
        if group_id is None:
            wanted = and_(status.in_([QUEUED, RUNNING]), due)
        else:  # asked for by name (socbot triage): queued is enough, due or not
            wanted = and_(
                col(TriageGroupRecord.id) == group_id,
                or_(status == QUEUED, and_(status == RUNNING, due)),
            )
        query = (
            select(TriageGroupRecord)
            .where(wanted)
            .order_by(col(TriageGroupRecord.next_attempt_at))
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        with session_scope(self.engine) as session:
            while (row := session.scalars(query).first()) is not None:
                if row.attempts < self.max_attempts:
                    return self._take(session, row, worker, now)
                self._give_up(session, row, f"its worker stopped {row.attempts} times", now)
        return None

    def _take(self, session: Session, row: TriageGroupRecord, worker: str, now: datetime) -> Claim:
        row.status, row.worker, row.attempts = RUNNING, worker, row.attempts + 1
        row.lease_until = row.next_attempt_at = now + self.lease
        row.updated_at = now
        session.add(row)
        return Claim(row.id, worker, row.attempts, row.source, row.kind, row.lease_until)

    def complete(self, claim: Claim, result: TriageResult) -> bool:
        """Record the triage on the group; False when the claim was lost (lease expired)."""
        values: dict[str, Any] = {
            "status": DONE,
            "lease_until": None,
            "task_id": result.task_id,
            "verdict": result.verdict,
            "severity": result.severity,
            "result": result.model_dump_json(),
            "last_error": None,
            "publish_pending": True,
        }
        return self._update_held(claim, values)

    def retry_or_fail(self, claim: Claim, error: str) -> str:
        """After a failed triage: queued again after a backoff, or failed (audited)."""
        now = utcnow()
        with session_scope(self.engine) as session:
            row = session.get(TriageGroupRecord, claim.group_id, with_for_update=True)
            if row is None or row.status != RUNNING or row.worker != claim.worker:
                return row.status if row is not None else FAILED
            if row.attempts >= self.max_attempts:
                self._give_up(session, row, error, now)
                return FAILED
            row.status, row.lease_until, row.last_error = QUEUED, None, error[:500]
            row.next_attempt_at = now + timedelta(seconds=self.backoff_for(row.attempts))
            row.updated_at = now
            session.add(row)
            return QUEUED

    def backoff_for(self, attempts: int) -> float:
        return float(min(MAX_BACKOFF_SECONDS, self._backoff * 2 ** max(0, attempts - 1)))

    def record_post(self, group_id: str, post: PostRef | None) -> None:
        values: dict[str, Any] = {"publish_pending": False, "last_error": None}
        if post is not None:
            values.update(post_channel=post.channel, post_ts=post.ts)
        self._update(group_id, values)

    def claim_publish(self) -> str | None:
        """A triaged group whose publishing is due (it failed, or its worker stopped before
        it); held for a lease so that no other worker publishes it meanwhile."""
        now = utcnow()
        query = (
            select(TriageGroupRecord)
            .where(
                col(TriageGroupRecord.publish_pending),
                col(TriageGroupRecord.status) == DONE,
                col(TriageGroupRecord.next_attempt_at) <= now,
            )
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        with session_scope(self.engine) as session:
            row = session.scalars(query).first()
            if row is None:
                return None
            row.next_attempt_at, row.updated_at = now + self.lease, now
            session.add(row)
            return row.id

    def publish_failed(
        self, group_id: str, error: str, *, retry_at: datetime | None = None
    ) -> None:
        """Keep the triage; try publishing again at retry_at, or a little later."""
        retry_at = retry_at or utcnow() + timedelta(seconds=PUBLISH_RETRY_SECONDS)
        message = f"publishing failed: {error}"[:500]
        self._update(group_id, {"last_error": message, "next_attempt_at": retry_at})

    def _update_held(self, claim: Claim, values: dict[str, Any]) -> bool:
        with session_scope(self.engine) as session:
            result = session.execute(
                update(TriageGroupRecord)
                .where(
                    col(TriageGroupRecord.id) == claim.group_id,
                    col(TriageGroupRecord.worker) == claim.worker,
                    col(TriageGroupRecord.status) == RUNNING,
                )
                .values(updated_at=utcnow(), **values)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def _update(self, group_id: str, values: dict[str, Any]) -> None:
        with session_scope(self.engine) as session:
            session.execute(
                update(TriageGroupRecord)
                .where(col(TriageGroupRecord.id) == group_id)
                .values(updated_at=utcnow(), **values)
            )

    def _give_up(self, session: Session, row: TriageGroupRecord, error: str, now: datetime) -> None:
        row.status, row.lease_until, row.updated_at = FAILED, None, now
        row.last_error = f"gave up after {row.attempts} attempts: {error}"[:500]
        session.add(row)
        session.flush()
        ids = group_alert_ids(session, row.id)
        self._audit.record(
            "error",
            actor=f"alert:{row.source}",
            data={
                "error": "TriageFailed",
                "message": row.last_error,
                "group_id": row.id,
                "alert_ids": ids[:MAX_AUDITED_IDS],
                "alerts": len(ids),
                "attempts": row.attempts,
            },
            session=session,
        )
