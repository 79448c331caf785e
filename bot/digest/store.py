"""Which weekly digests went out: one digest_post row per reported ISO week, claimed first.

A worker that wants to post the digest of a week claims the week by inserting its row (INSERT
… ON CONFLICT DO NOTHING): of any number of workers, in one process or many, exactly one
insert wins. The winner posts and marks the row posted (channel, message ts, the audit chain
head it verified) or, without Slack, logged; on error it marks it failed. A failed row, or a
claim left by a worker that died (older than STALE_CLAIM), is taken over by a later run with
one conditional UPDATE, so again only one run retries it, up to MAX_ATTEMPTS.

This module also declares the (kind, ts) index on audit_event that every digest query runs
on: rows of one kind in one stretch of time, counted or read straight off the index.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import DateTime, Index, Update, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel, col

from bot.audit.event import AUDIT_TABLE
from bot.clock import as_utc

CLAIMED, POSTED, LOGGED, FAILED = "claimed", "posted", "logged", "failed"
STALE_CLAIM = timedelta(minutes=30)
MAX_ATTEMPTS = 6

AUDIT_KIND_TS_INDEX = Index("ix_audit_event_kind_ts", AUDIT_TABLE.c.kind, AUDIT_TABLE.c.ts)


class DigestPost(SQLModel, table=True):
    __tablename__ = "digest_post"

    week: str = Field(primary_key=True, max_length=10)  # the ISO week reported, "2026-W47"
    status: str = Field(max_length=10)  # claimed | posted | logged | failed
    claimed_by: str = Field(max_length=200)
    claimed_at: datetime = Field(sa_type=DateTime(timezone=True))
    attempts: int = 1
    channel: str | None = Field(default=None, max_length=40)
    message_ts: str | None = Field(default=None, max_length=40)
    posted_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), index=True)
    head_seq: int | None = None
    head_hash: str | None = Field(default=None, max_length=64)
    error: str | None = Field(default=None, max_length=500)


TABLE = DigestPost.__table__  # type: ignore[attr-defined]


def claim_week(engine: Engine, week: str, claimer: str, now: datetime) -> bool:
    """True when this caller now holds the week: it inserted the row, or took over a failed
    or stale claim. False when the week is posted, logged, or held by a live claim."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    row = {"week": week, "status": CLAIMED, "claimed_by": claimer, "claimed_at": now}
    insert = (
        dialect.insert(TABLE)
        .values(**row, attempts=1)
        .on_conflict_do_nothing(index_elements=["week"])
        .returning(TABLE.c.week)
    )
    with engine.begin() as conn:
        if conn.execute(insert).first() is not None:
            return True
        return conn.execute(_takeover(week, claimer, now)).first() is not None


def _takeover(week: str, claimer: str, now: datetime) -> Update:
    c = TABLE.c
    retry = and_(c.status == FAILED, c.attempts < MAX_ATTEMPTS)
    abandoned = and_(c.status == CLAIMED, c.claimed_at < now - STALE_CLAIM)
    return (
        update(TABLE)
        .where(c.week == week, or_(retry, abandoned))
        .values(
            status=CLAIMED, claimed_by=claimer, claimed_at=now, attempts=c.attempts + 1, error=None
        )
        .returning(c.week)
    )


def finish_statement(
    week: str,
    claimer: str,
    *,
    status: str,
    at: datetime,
    channel: str | None = None,
    message_ts: str | None = None,
    head: tuple[int, str] | None = None,
    error: str | None = None,
) -> Update:
    """How the claimed week ended, as an UPDATE that changes nothing if the claim is no
    longer this caller's. Run it in the transaction that audits the outcome."""
    c = TABLE.c
    return (
        update(TABLE)
        .where(c.week == week, c.claimed_by == claimer, c.status == CLAIMED)
        .values(
            status=status,
            channel=channel,
            message_ts=message_ts,
            posted_at=at if status in (POSTED, LOGGED) else None,
            head_seq=head[0] if head else None,
            head_hash=head[1] if head else None,
            error=error[:500] if error else None,
        )
    )


def get_post(engine: Engine, week: str) -> DigestPost | None:
    with engine.connect() as conn:
        row = conn.execute(select(TABLE).where(TABLE.c.week == week)).first()
    return None if row is None else _post(row._mapping)


def last_verified_head(engine: Engine) -> tuple[int, str] | None:
    """The audit chain head the most recent digest verified and remembered, if any."""
    c = TABLE.c
    query = (
        select(c.head_seq, c.head_hash)
        .where(col(c.head_seq).is_not(None), col(c.posted_at).is_not(None))
        .order_by(c.posted_at.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else (int(row.head_seq), str(row.head_hash))


def _post(values: object) -> DigestPost:
    post = DigestPost.model_validate(dict(values))  # type: ignore[call-overload]
    post.claimed_at = as_utc(post.claimed_at)
    post.posted_at = as_utc(post.posted_at) if post.posted_at else None
    return post
