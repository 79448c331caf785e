"""The intake's tables: accepted alerts, rejected payloads, and triage groups (the queue).

- `alert`: one row per accepted event, its normalized form as JSON. A duplicate points at
  the first alert of its fingerprint (`duplicate_of`); the first alert counts them, and so
  does its group, whose post shows the count (updated at most every few seconds).
- `rejected_alert`: what could not be accepted, with the reason and the payload as sent
  (UTF-8 text, or base64 when the bytes are not text), whole up to the size cap.
- `triage_group`: the unit of triage and the queue's job: one alert, or a storm of alerts
  alike. Its status moves queued → running → done | failed, or queued → merged when a storm
  absorbs it. `lease_until` lets another worker take over a group whose worker died; a
  claimed group's next_attempt_at is its lease's end, so one index serves every claim.

Long vendor text (event types, ids) is never indexed: indexes hold hashes of it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Text
from sqlmodel import Field, SQLModel

ACCEPTED, DUPLICATE = "accepted", "duplicate"
QUEUED, RUNNING, DONE, FAILED, MERGED = "queued", "running", "done", "failed", "merged"
SINGLE, STORM = "single", "storm"
TEXT, BASE64 = "utf-8", "base64"


def _utc(*, nullable: bool = False, index: bool = False) -> datetime:
    default = None if nullable else ...
    return Field(default=default, sa_type=DateTime(timezone=True), nullable=nullable, index=index)


class AlertRecord(SQLModel, table=True):
    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_dedupe", "fingerprint", "occurred_at"),
        Index("ix_alert_storm_rate", "storm_key", "received_at"),
    )

    id: str = Field(primary_key=True, max_length=40)
    received_at: datetime = _utc()
    source: str = Field(max_length=120)
    vendor_event_id: str | None = Field(default=None, sa_type=Text)
    event_type: str = Field(sa_type=Text)
    fingerprint: str = Field(max_length=64)  # sha256 of (source, type, actor, target)
    storm_key: str = Field(max_length=64)  # sha256 of (source, type)
    occurred_at: datetime = _utc()
    normalized: str = Field(sa_type=Text)  # Alert.model_dump_json(); raw event redacted
    status: str = Field(max_length=20)  # accepted | duplicate
    group_id: str | None = Field(default=None, index=True, max_length=40)
    duplicate_of: str | None = Field(default=None, index=True, max_length=40)
    duplicate_count: int = 0  # on a first alert: duplicates seen so far
    via: str = Field(max_length=20)  # webhook | cli | slack


class RejectedAlert(SQLModel, table=True):
    __tablename__ = "rejected_alert"

    id: str = Field(primary_key=True, max_length=40)
    received_at: datetime = _utc(index=True)
    source: str | None = Field(default=None, max_length=120)
    reason: str = Field(max_length=500)
    payload: str = Field(sa_type=Text)
    encoding: str = Field(default=TEXT, max_length=10)  # utf-8 | base64
    size: int  # bytes received (at least this many when truncated)
    truncated: bool = False  # payload holds only the first alert_max_bytes
    via: str = Field(max_length=20)


class TriageGroupRecord(SQLModel, table=True):
    __tablename__ = "triage_group"
    __table_args__ = (
        Index("ix_triage_group_claim", "status", "next_attempt_at"),
        Index("ix_triage_group_open", "key", "status"),
    )

    id: str = Field(primary_key=True, max_length=40)
    key: str = Field(max_length=80)  # single:<fingerprint> | storm:<storm key>
    kind: str = Field(max_length=10)  # single | storm
    source: str = Field(max_length=120)
    event_type: str = Field(sa_type=Text)
    status: str = Field(max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = _utc()
    lease_until: datetime | None = _utc(nullable=True)
    worker: str | None = Field(default=None, max_length=120)
    alert_count: int = 1
    first_alert_id: str = Field(max_length=40)
    created_at: datetime = _utc(index=True)
    updated_at: datetime = _utc()
    merged_into: str | None = Field(default=None, max_length=40)
    post_channel: str | None = Field(default=None, max_length=40)
    post_ts: str | None = Field(default=None, max_length=40)
    publish_pending: bool = Field(default=False, index=True)  # triaged, not yet published
    duplicate_count: int = 0  # duplicates of the group's alerts, so far
    duplicates_shown: int = 0  # of those, how many its post shows
    duplicates_pending: bool = Field(default=False, index=True)  # the post is behind
    duplicates_shown_at: datetime | None = _utc(nullable=True)
    last_error: str | None = Field(default=None, max_length=500)
    task_id: str | None = Field(default=None, max_length=40)
    verdict: str | None = Field(default=None, max_length=20)
    severity: str | None = Field(default=None, max_length=20)
    result: str | None = Field(default=None, sa_type=Text)  # TriageResult as JSON
