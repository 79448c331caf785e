"""Slack events already seen, so a retried or replayed event never acts twice.

Slack redelivers an event it thinks was not acked in time, and a replayed request carries the
same event_id. claim_event inserts the id with INSERT … ON CONFLICT DO NOTHING: exactly one
claim wins, in one process or across several sharing a PostgreSQL database.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import DateTime, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel

from bot.clock import utcnow

KEEP_SEEN_EVENTS = timedelta(days=2)  # Slack retries within an hour; replays older than a
# day are refused by the signature's five-minute window anyway.


class SlackEvent(SQLModel, table=True):
    __tablename__ = "slack_event"

    event_id: str = Field(primary_key=True, max_length=64)
    team_id: str | None = Field(default=None, max_length=32)
    type: str = Field(max_length=64)
    received_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)


def claim_event(engine: Engine, event_id: str, team_id: str | None, event_type: str) -> bool:
    """True for the first claim of event_id; False when it was already claimed."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    row = {
        "event_id": event_id,
        "team_id": team_id,
        "type": event_type[:64],
        "received_at": utcnow(),
    }
    statement = (
        dialect.insert(SlackEvent)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(SlackEvent.event_id)
    )
    # RETURNING, not rowcount: drivers may report -1 for an INSERT … ON CONFLICT.
    with engine.begin() as conn:
        return conn.execute(statement).first() is not None


def forget_old_events(engine: Engine, keep: timedelta = KEEP_SEEN_EVENTS) -> int:
    """Delete seen-event rows older than keep; how many went."""
    cutoff = utcnow() - keep
    old = delete(SlackEvent).where(SlackEvent.received_at < cutoff)  # type: ignore[arg-type]
    with engine.begin() as conn:
        return conn.execute(old).rowcount
