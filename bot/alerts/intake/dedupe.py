"""Dedupe: one fingerprint per (source, event type, actor, target, vendor event id, outcome,
source IP); a second alert with the same fingerprint whose event time is within the window
of the first is a duplicate of it.

The window is measured on the vendor's event time (occurred_at), not on arrival, so a file
of last week's events replayed through `socbot alerts ingest` dedupes as it happened, and a
vendor's retry (same event, same time) is always a duplicate. A duplicate is stored, points
at the first alert, and bumps that alert's counter; it never gets a triage of its own.

Intake holds a per-storm-key lock (`hold_keys`) around the check and the insert, so two
processes cannot both store "the first" alert of a fingerprint: on PostgreSQL an advisory
transaction lock, on SQLite the write lock every transaction takes at BEGIN (bot.db).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.engine import Connection

from bot.alerts.model import Alert
from bot.alerts.tables import ACCEPTED, AlertRecord, TriageGroupRecord
from bot.canonical import canonical_json, sha256_hex

# First key of pg_advisory_xact_lock(int4, int4) for intake; the second is the key's hash.
INTAKE_LOCK_CLASS = 0x5C0C
_LOCK = text("SELECT pg_advisory_xact_lock(:lock_class, hashtext(:key))")
_ALERT = AlertRecord.__table__  # type: ignore[attr-defined]
_FIND_ORIGINAL = (
    select(_ALERT.c.id, _ALERT.c.duplicate_count, _ALERT.c.group_id)
    .where(
        _ALERT.c.fingerprint == bindparam("fingerprint"),
        _ALERT.c.status == ACCEPTED,
        _ALERT.c.occurred_at >= bindparam("low"),
        _ALERT.c.occurred_at <= bindparam("high"),
    )
    .order_by(_ALERT.c.received_at, _ALERT.c.id)
    .limit(1)
)
_GROUP = TriageGroupRecord.__table__  # type: ignore[attr-defined]
_COUNT_DUPLICATE = (
    update(_ALERT)
    .where(_ALERT.c.id == bindparam("alert_id"))
    .values(duplicate_count=bindparam("count"))
)
_COUNT_GROUP_DUPLICATE = (
    update(_GROUP)
    .where(_GROUP.c.id == bindparam("group"))
    .values(duplicate_count=_GROUP.c.duplicate_count + 1, duplicates_pending=True)
)


def fingerprint(alert: Alert) -> str:
    """Who did what to whom, plus what tells two such events apart: the vendor's event id,
    the outcome and the source address. A replay of one event matches on all of them."""
    distinct = [alert.vendor_event_id or "", alert.outcome, alert.source_ip or ""]
    return sha256_hex(canonical_json([*alert.fingerprint_parts(), *distinct]))


def storm_key(alert: Alert) -> str:
    """The storm grouping: alerts of one type from one source, whoever they are about."""
    return sha256_hex(canonical_json([alert.source, alert.event_type]))


def hold_keys(conn: Connection, keys: Iterable[str]) -> None:
    """Serialise intake per key until the transaction ends; sorted, so batches never deadlock."""
    if conn.dialect.name != "postgresql":
        return  # SQLite: the transaction began IMMEDIATE and holds the database write lock
    for key in sorted(set(keys)):
        conn.execute(_LOCK, {"lock_class": INTAKE_LOCK_CLASS, "key": key})


@dataclass
class Original:
    """The first alert of a fingerprint, as far as a duplicate needs it."""

    id: str
    duplicate_count: int
    group_id: str | None


def find_original(
    conn: Connection, print_: str, occurred_at: datetime, window_seconds: int
) -> Original | None:
    """The first alert with this fingerprint whose event time is within the window."""
    window = timedelta(seconds=window_seconds)
    params = {"fingerprint": print_, "low": occurred_at - window, "high": occurred_at + window}
    row = conn.execute(_FIND_ORIGINAL, params).first()
    return Original(row[0], row[1], row[2]) if row is not None else None


def count_duplicate(conn: Connection, original: Original) -> int:
    """Bump the first alert's counter and its group's (the caller holds its key's lock);
    the first alert's new count."""
    count = original.duplicate_count + 1
    conn.execute(_COUNT_DUPLICATE, {"alert_id": original.id, "count": count})
    if original.group_id is not None:
        conn.execute(_COUNT_GROUP_DUPLICATE, {"group": original.group_id})
    original.duplicate_count = count
    return count
