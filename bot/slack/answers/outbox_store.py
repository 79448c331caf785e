"""The Slack outbox: one row per question socbot answers, kept until Slack has the answer.

A row is claimed when the answering starts (status drafting, under the answering task), holds
the reply once it is written (pending), and is closed when Slack took it (posted). So a
question is answered once however often Slack delivers it: a drafting row whose task still
runs, a pending row and a posted row all mean "answered or being answered". A drafting row
whose task has ended without an answer (it failed, or its process died) is taken over by the
next delivery. A reply Slack refuses outright several times is given up (failed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Index, UniqueConstraint, func, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from bot.clock import utcnow
from bot.db import session_scope
from bot.db_deadline import read_only
from bot.tasks.records import TaskRecord

DRAFTING, PENDING, POSTED, FAILED = "drafting", "pending", "posted", "failed"
Claimed = Literal["answer", "in_hand", "pending", "posted", "failed"]
LEASE_SECONDS = 60.0  # a claimed delivery not finished by then is tried again
MAX_REFUSALS = 5  # Slack refused the reply itself (not an outage): give up after this many
LONGEST_RETRY_SECONDS = 600.0


class SlackOutboxItem(SQLModel, table=True):
    __tablename__ = "slack_outbox"
    __table_args__ = (
        UniqueConstraint("channel", "question_ts", name="uq_slack_outbox_question"),
        Index("ix_slack_outbox_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=40)
    thread_ts: str = Field(max_length=40)
    question_ts: str = Field(max_length=40)
    status: str = Field(max_length=12)
    task_id: str = Field(max_length=40)
    text: str | None = None  # the reply as posted (escaped mrkdwn)
    thread_text: str | None = None  # what the thread's memory keeps of it
    proposals_json: str | None = None
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime
    posted_at: datetime | None = None
    posted_ts: str | None = Field(default=None, max_length=40)


@dataclass(frozen=True)
class Reply:
    id: int
    channel: str
    thread_ts: str
    task_id: str
    text: str
    thread_text: str
    proposals: list[dict[str, Any]]


class OutboxStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim_question(
        self, channel: str, thread_ts: str, question_ts: str, task_id: str
    ) -> Claimed:
        """Whether task_id is now the one to answer this question ("answer"), or why not."""
        try:
            with session_scope(self._engine) as session:
                return self._claim(session, channel, thread_ts, question_ts, task_id)
        except IntegrityError:
            return "in_hand"  # another worker inserted its claim a moment ago

    def _claim(
        self, session: Session, channel: str, thread_ts: str, question_ts: str, task_id: str
    ) -> Claimed:
        query = select(SlackOutboxItem).where(
            SlackOutboxItem.channel == channel, SlackOutboxItem.question_ts == question_ts
        )
        row = session.exec(query.with_for_update()).first()
        now = utcnow()
        if row is None:
            session.add(
                SlackOutboxItem(
                    channel=channel,
                    thread_ts=thread_ts,
                    question_ts=question_ts,
                    status=DRAFTING,
                    task_id=task_id,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            session.flush()
            return "answer"
        if row.status != DRAFTING:
            return row.status  # type: ignore[return-value]
        if _task_running(session, row.task_id):
            return "in_hand"
        row.task_id, row.next_attempt_at = task_id, now  # its first answerer ended without one
        session.add(row)
        return "answer"

    def ready(
        self,
        channel: str,
        question_ts: str,
        task_id: str,
        *,
        text: str,
        thread_text: str,
        proposals: list[dict[str, Any]],
    ) -> Reply | None:
        """The written reply, pending now; None when another task has taken the question."""
        values = {
            "status": PENDING,
            "text": text,
            "thread_text": thread_text,
            "proposals_json": json.dumps(proposals, default=str),
            "next_attempt_at": utcnow() + timedelta(seconds=LEASE_SECONDS),  # ours to post now
        }
        with session_scope(self._engine) as session:
            changed = session.execute(
                update(SlackOutboxItem)
                .where(
                    col(SlackOutboxItem.channel) == channel,
                    col(SlackOutboxItem.question_ts) == question_ts,
                    col(SlackOutboxItem.task_id) == task_id,
                    col(SlackOutboxItem.status) == DRAFTING,
                )
                .values(**values)
            )
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = session.exec(
                select(SlackOutboxItem).where(
                    SlackOutboxItem.channel == channel, SlackOutboxItem.question_ts == question_ts
                )
            ).one()
            return _reply(row)

    def claim_due(self) -> Reply | None:
        """A pending reply whose (re)try is due, held for a lease while it is posted."""
        now = utcnow()
        query = (
            select(SlackOutboxItem)
            .where(SlackOutboxItem.status == PENDING, col(SlackOutboxItem.next_attempt_at) <= now)
            .order_by(col(SlackOutboxItem.next_attempt_at))
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        with session_scope(self._engine) as session:
            row = session.exec(query).first()
            if row is None:
                return None
            row.next_attempt_at = now + timedelta(seconds=LEASE_SECONDS)
            session.add(row)
            return _reply(row)

    def posted(self, reply_id: int, ts: str) -> None:
        self._set(reply_id, status=POSTED, posted_ts=ts, posted_at=utcnow(), last_error=None)

    def deferred(self, reply_id: int, error: str, retry_at: datetime) -> None:
        """Slack is failing: try again at retry_at. Not counted against the reply."""
        self._set(reply_id, last_error=error[:500], next_attempt_at=retry_at)

    def refused(self, reply_id: int, error: str) -> str:
        """Slack refused the reply itself: retry later, up to MAX_REFUSALS; the new status."""
        with session_scope(self._engine) as session:
            row = session.get(SlackOutboxItem, reply_id, with_for_update=True)
            if row is None:
                return FAILED
            row.attempts += 1
            row.last_error = error[:500]
            wait = min(LONGEST_RETRY_SECONDS, 5.0 * 2**row.attempts)
            row.next_attempt_at = utcnow() + timedelta(seconds=wait)
            if row.attempts >= MAX_REFUSALS:
                row.status = FAILED
            session.add(row)
            return row.status

    def pending(self) -> tuple[int, float | None]:
        """How many replies wait for Slack, and the oldest one's age in seconds."""
        query = select(func.count(), func.min(SlackOutboxItem.created_at)).where(
            SlackOutboxItem.status == PENDING
        )
        with session_scope(read_only(self._engine)) as session:
            count, oldest = session.exec(query).one()
        if oldest is None:
            return int(count), None
        if oldest.tzinfo is None:  # SQLite hands back naive UTC
            oldest = oldest.replace(tzinfo=utcnow().tzinfo)
        return int(count), round((utcnow() - oldest).total_seconds(), 1)

    def _set(self, reply_id: int, **values: Any) -> None:
        with session_scope(self._engine) as session:
            session.execute(
                update(SlackOutboxItem).where(col(SlackOutboxItem.id) == reply_id).values(**values)
            )


def _task_running(session: Session, task_id: str) -> bool:
    status = session.exec(select(TaskRecord.status).where(TaskRecord.id == task_id)).first()
    return status == "running"


def _reply(row: SlackOutboxItem) -> Reply:
    assert row.id is not None
    return Reply(
        id=row.id,
        channel=row.channel,
        thread_ts=row.thread_ts,
        task_id=row.task_id,
        text=row.text or "",
        thread_text=row.thread_text or "",
        proposals=list(json.loads(row.proposals_json or "[]")),
    )
