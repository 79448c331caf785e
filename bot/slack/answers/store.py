"""Slack threads as conversations: the messages of each thread socbot talks in, and the
triage posts that open alert threads.

A thread's messages (the analysts' and socbot's, text redacted) are what the next answer in
that thread is given as history. A triage post remembers which group it shows, its alert's
normalized facts (for questions asked in its thread) and its blocks (so a duplicate counter
can be redrawn with chat.update without asking Slack for the message).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col, select

from bot.clock import utcnow
from bot.db import session_scope
from bot.db_deadline import read_only
from bot.redaction import Redactor

Role = Literal["user", "assistant"]


class SlackThreadMessage(SQLModel, table=True):
    __tablename__ = "slack_thread_message"
    __table_args__ = (
        UniqueConstraint("channel", "ts", name="uq_slack_thread_message_ts"),
        Index("ix_slack_thread_message_thread", "channel", "thread_ts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=40)
    thread_ts: str = Field(max_length=40)
    ts: str = Field(max_length=40)
    role: str = Field(max_length=10)  # user | assistant
    user_id: str | None = Field(default=None, max_length=40)
    text: str
    task_id: str | None = Field(default=None, max_length=40)
    created_at: datetime


class SlackTriagePost(SQLModel, table=True):
    __tablename__ = "slack_triage_post"
    __table_args__ = (UniqueConstraint("channel", "ts", name="uq_slack_triage_post_ts"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=40)
    ts: str = Field(max_length=40)
    group_id: str = Field(index=True, max_length=64)
    alert_ids_json: str
    task_id: str = Field(max_length=40)
    facts_json: str  # the first alert's normalized fields, raw event left out
    blocks_json: str
    text: str  # the message's plain-text fallback, kept for redrawing it
    created_at: datetime


@dataclass(frozen=True)
class ThreadMessage:
    ts: str
    role: str
    user_id: str | None
    text: str
    task_id: str | None


@dataclass(frozen=True)
class TriagePostRecord:
    channel: str
    ts: str
    group_id: str
    alert_ids: list[str]
    task_id: str
    facts: dict[str, Any]
    blocks: list[dict[str, Any]]
    text: str


class ConversationStore:
    def __init__(self, engine: Engine, redactor: Redactor) -> None:
        self._engine = engine
        self._redactor = redactor

    def append(
        self,
        *,
        channel: str,
        thread_ts: str,
        ts: str,
        role: Role,
        text: str,
        user_id: str | None = None,
        task_id: str | None = None,
    ) -> bool:
        """Keep one message of a thread, redacted; False when that message is already kept."""
        row = SlackThreadMessage(
            channel=channel,
            thread_ts=thread_ts,
            ts=ts,
            role=role,
            user_id=user_id,
            text=self._redactor.redact_text(text),
            task_id=task_id,
            created_at=utcnow(),
        )
        return _insert_once(self._engine, row)

    def thread(self, channel: str, thread_ts: str) -> list[ThreadMessage]:
        """Every kept message of the thread in the order it was kept: a question is always
        kept before its answer."""
        query = (
            select(SlackThreadMessage)
            .where(SlackThreadMessage.channel == channel, SlackThreadMessage.thread_ts == thread_ts)
            .order_by(col(SlackThreadMessage.id))
        )
        with session_scope(read_only(self._engine)) as session:
            rows = session.exec(query).all()
        return [ThreadMessage(r.ts, r.role, r.user_id, r.text, r.task_id) for r in rows]

    def save_triage_post(
        self,
        *,
        channel: str,
        ts: str,
        group_id: str,
        alert_ids: list[str],
        task_id: str,
        facts: dict[str, Any],
        blocks: list[dict[str, Any]],
        text: str,
    ) -> bool:
        row = SlackTriagePost(
            channel=channel,
            ts=ts,
            group_id=group_id,
            alert_ids_json=json.dumps(alert_ids),
            task_id=task_id,
            facts_json=json.dumps(self._redactor.redact(facts), default=str),
            blocks_json=json.dumps(blocks),
            text=text,
            created_at=utcnow(),
        )
        return _insert_once(self._engine, row)

    def triage_post(self, channel: str, ts: str) -> TriagePostRecord | None:
        """The triage post at (channel, ts), if that message is one."""
        return self._post_where(SlackTriagePost.channel == channel, SlackTriagePost.ts == ts)

    def triage_post_of_group(self, group_id: str) -> TriagePostRecord | None:
        return self._post_where(SlackTriagePost.group_id == group_id)

    def _post_where(self, *conditions: Any) -> TriagePostRecord | None:
        query = select(SlackTriagePost).where(*conditions).order_by(col(SlackTriagePost.id))
        with session_scope(read_only(self._engine)) as session:
            row = session.exec(query).first()
        if row is None:
            return None
        return TriagePostRecord(
            channel=row.channel,
            ts=row.ts,
            group_id=row.group_id,
            alert_ids=list(json.loads(row.alert_ids_json)),
            task_id=row.task_id,
            facts=dict(json.loads(row.facts_json)),
            blocks=list(json.loads(row.blocks_json)),
            text=row.text,
        )


def _insert_once(engine: Engine, row: SQLModel) -> bool:
    # Slack redelivers events; a second copy of one message is refused by (channel, ts).
    try:
        with session_scope(engine) as session:
            session.add(row)
    except IntegrityError:
        return False
    return True
