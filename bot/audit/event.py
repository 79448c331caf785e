"""The audit_event table, its event kinds, and the hash that chains one row to the next.

A row's hash is sha256 over the canonical JSON of every other column, prev_hash and seq
included, so changing, removing or moving any row breaks the chain from that row on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, DateTime, Row, Table, Text, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Field, SQLModel

from bot.canonical import hash_value
from bot.clock import as_utc

GENESIS_HASH = "0" * 64


class EventKind(StrEnum):
    TASK_START = "task.start"
    TASK_END = "task.end"
    PROMPT = "prompt"
    MODEL_OUTPUT = "model.output"
    MODEL_WARNING = "model.warning"
    TOOL_CALL = "tool.call"
    TOOL_RESULT = "tool.result"
    POLICY_DECISION = "policy.decision"
    RECOMMENDATION = "recommendation"
    ACTION_REQUESTED = "action.requested"
    APPROVAL_GRANTED = "approval.granted"
    APPROVAL_REJECTED = "approval.rejected"
    APPROVAL_REFUSED = "approval.refused"  # an approval that did not count
    APPROVAL_WITHDRAWN = "approval.withdrawn"
    ACTION_APPROVED = "action.approved"
    ACTION_EXPIRED = "action.expired"
    ACTION_VOIDED = "action.voided"
    ACTION_WITHDRAWN = "action.withdrawn"  # parked by a triage that failed before its post
    ACTION_EXECUTED = "action.executed"
    ACTION_FAILED = "action.failed"
    CREDENTIAL_ISSUED = "credential.issued"
    CREDENTIAL_REVOKED = "credential.revoked"
    CREDENTIAL_REVOKE_FAILED = "credential.revoke_failed"
    ALERT_RECEIVED = "alert.received"
    ALERT_DUPLICATE = "alert.duplicate"
    ALERT_REJECTED = "alert.rejected"
    ALERT_STORM = "alert.storm"
    TRIAGE_RESULT = "triage.result"
    TRIAGE_POSTED = "triage.posted"
    ANALYST_FEEDBACK = "analyst.feedback"
    HUMAN_ACTION = "human.action"
    DIGEST_POSTED = "digest.posted"
    SLACK_EVENT_REFUSED = "slack.refused"
    ERROR = "error"
    LIMIT_HIT = "limit.hit"
    INJECTION_SUSPECT = "injection.suspect"
    POLICY_LOADED = "policy.loaded"
    POLICY_REJECTED = "policy.rejected"


class AuditEvent(SQLModel, table=True):
    """One append-only row. `data` is redacted canonical JSON text, hashed as stored."""

    __tablename__ = "audit_event"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    ts: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    task_id: str | None = Field(default=None, index=True, max_length=64)
    kind: str = Field(index=True, max_length=64)
    actor: str = Field(max_length=128)
    tool: str | None = Field(default=None, index=True, max_length=128)
    data: str = Field(sa_type=Text)
    policy_version: str | None = Field(default=None, max_length=64)
    prompt_hash: str | None = Field(default=None, max_length=64)
    tool_hash: str | None = Field(default=None, max_length=64)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    # HMAC of hash under a key outside the database (bot.audit.keys); not part of the hash.
    mac: str | None = Field(default=None, max_length=64)


AUDIT_TABLE: Table = AuditEvent.__table__  # type: ignore[attr-defined]
HASHED_COLUMNS = (
    "seq",
    "ts",
    "task_id",
    "kind",
    "actor",
    "tool",
    "data",
    "policy_version",
    "prompt_hash",
    "tool_hash",
    "prev_hash",
)
ROW_COLUMNS = (*HASHED_COLUMNS, "hash", "mac")
Sealer = Callable[[str], str]


def ts_text(ts: datetime) -> str:
    """The one spelling of a time inside the hash: UTC, microseconds, Z."""
    return as_utc(ts).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(fields: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of every hashed column; fields may hold more keys."""
    hashed = {name: fields[name] for name in HASHED_COLUMNS}
    hashed["ts"] = ts_text(fields["ts"])
    return hash_value(hashed)


def seal(
    fields: dict[str, Any], seq: int, prev_hash: str, sealer: Sealer | None = None
) -> dict[str, Any]:
    """A complete row: fields plus its place in the chain, its hash and (with a key) its mac."""
    row = {**fields, "seq": seq, "prev_hash": prev_hash}
    row["hash"] = event_hash(row)
    row["mac"] = sealer(row["hash"]) if sealer is not None else None
    return row


def row_dict(row: Row[Any]) -> dict[str, Any]:
    """A stored row as column → value, ts made aware UTC (SQLite hands back naive times)."""
    values = dict(row._mapping)
    values["ts"] = as_utc(values["ts"])
    return values


def to_event(values: dict[str, Any]) -> AuditEvent:
    return AuditEvent(**{name: values[name] for name in ROW_COLUMNS})


def iter_rows(
    engine: Engine,
    *,
    where: Sequence[ColumnElement[bool]] = (),
    batch_size: int = 10_000,
    columns: Sequence[Column[Any]] | None = None,
) -> Iterator[Row[Any]]:
    """Stream rows in seq order, one keyset page per query: memory stays flat on any size."""
    selected = columns if columns is not None else [AUDIT_TABLE.c[name] for name in ROW_COLUMNS]
    seq = AUDIT_TABLE.c.seq
    after = 0
    while True:
        query = select(*selected).where(seq > after, *where).order_by(seq).limit(batch_size)
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        yield from rows
        if len(rows) < batch_size:
            return
        after = rows[-1].seq
