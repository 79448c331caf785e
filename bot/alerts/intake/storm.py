"""Storms: when alerts of one (source, event type) arrive faster than
settings.storm_threshold_per_minute, they are triaged as one group, not one by one.

The grouping is (source, event type), whoever the alerts are about: a password spray over 50
identities, or 10,000 alerts of one kind in a minute, is one storm group and one triage of a
sample plus the count, not 50 or 10,000. Below the threshold each alert (duplicates aside)
is a group of its own. The rate counts accepted, non-duplicate alerts by arrival time over
the last minute.

A storm group absorbs alerts while it waits in the queue, and it waits at least STORM_SETTLE
before a worker takes it. When a storm starts, the single
groups of the same key that arrived in the last minute and are still queued are merged into
it (status "merged"), so the alerts just before the threshold do not cost a triage each.
Once a worker claims the storm group, the next alert of the storm opens a new one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from bot.alerts.tables import (
    ACCEPTED,
    MERGED,
    QUEUED,
    SINGLE,
    STORM,
    AlertRecord,
    TriageGroupRecord,
)

STORM_WINDOW = timedelta(minutes=1)
ZERO = timedelta(0)
# A new storm group waits this long before a worker may take it, so that it gathers the
# storm rather than a second of it: a one-minute storm is a handful of triages, not dozens.
STORM_SETTLE = timedelta(seconds=15)
_GROUP = TriageGroupRecord.__table__  # type: ignore[attr-defined]
_ALERT = AlertRecord.__table__  # type: ignore[attr-defined]
# Built once: statements are the hot path of every alert stored.
_OPEN_STORM = (
    select(_GROUP.c.id)
    .where(_GROUP.c.key == bindparam("group_key"), _GROUP.c.status == QUEUED)
    .order_by(_GROUP.c.created_at)
    .limit(1)
    .scalar_subquery()
)
# Joins only while still queued (checked again under the row lock): a claimed group's triage
# has already read its alerts.
_JOIN_STORM = (
    update(_GROUP)
    .where(
        _GROUP.c.id == _OPEN_STORM,
        _GROUP.c.key == bindparam("group_key"),
        _GROUP.c.status == QUEUED,
    )
    .values(alert_count=_GROUP.c.alert_count + 1, updated_at=bindparam("now"))
    .returning(_GROUP.c.id, _GROUP.c.alert_count)
)
_RECENT = (
    _ALERT.c.storm_key == bindparam("key_of_storm"),
    _ALERT.c.received_at > bindparam("since"),
    _ALERT.c.status == ACCEPTED,
)
_INSERT_GROUP = insert(_GROUP)
_QUEUED_SINGLES = (
    select(
        _GROUP.c.id,
        _GROUP.c.alert_count,
        _GROUP.c.first_alert_id,
        _GROUP.c.created_at,
        _GROUP.c.duplicate_count,
    )
    .where(
        _GROUP.c.id.in_(select(_ALERT.c.group_id).where(*_RECENT)),
        _GROUP.c.status == QUEUED,
        _GROUP.c.kind == SINGLE,
    )
    .with_for_update(skip_locked=True)
)
_MERGE_GROUPS = (
    update(_GROUP)
    .where(_GROUP.c.id.in_(bindparam("ids", expanding=True)))
    .values(status=MERGED, merged_into=bindparam("into"), updated_at=bindparam("now"))
)
_MOVE_ALERTS = (
    update(_ALERT)
    .where(_ALERT.c.group_id.in_(bindparam("ids", expanding=True)))
    .values(group_id=bindparam("into"))
)


@dataclass(frozen=True)
class Placement:
    group_id: str
    is_storm: bool
    storm_opened: bool = False
    alerts_in_group: int = 1


@dataclass(frozen=True)
class Arrival:
    """The alert being placed, before it is stored."""

    alert_id: str
    fingerprint: str
    storm_key: str
    source: str
    event_type: str
    received_at: datetime


def new_group_id() -> str:
    return "grp_" + uuid.uuid4().hex[:16]


def place(conn: Connection, arrival: Arrival, threshold: int) -> Placement:
    """The group the arriving alert joins; the caller holds the storm key's lock."""
    joined = _join_open_storm(conn, arrival)
    if joined is not None:
        return joined  # a storm is on: no need to count
    if not over_threshold(conn, arrival, threshold):
        return Placement(_open(conn, arrival, SINGLE, 1, arrival.alert_id), is_storm=False)
    return _open_storm(conn, arrival)


def over_threshold(conn: Connection, arrival: Arrival, threshold: int) -> bool:
    """Whether this alert makes more than threshold in the last minute (counts stop there)."""
    recent = _recent_count(threshold)
    params = {"key_of_storm": arrival.storm_key, "since": arrival.received_at - STORM_WINDOW}
    return int(conn.execute(recent, params).scalar_one()) + 1 > threshold


@lru_cache(maxsize=8)
def _recent_count(limit: int) -> Select[Any]:
    return select(func.count()).select_from(
        select(_ALERT.c.id).where(*_RECENT).limit(limit).subquery()
    )


def storm_group_key(storm_key: str) -> str:
    return f"{STORM}:{storm_key}"


def _join_open_storm(conn: Connection, arrival: Arrival) -> Placement | None:
    params = {"group_key": storm_group_key(arrival.storm_key), "now": arrival.received_at}
    joined = conn.execute(_JOIN_STORM, params).first()
    if joined is None:
        return None
    return Placement(joined[0], is_storm=True, alerts_in_group=joined[1])


def _open_storm(conn: Connection, arrival: Arrival) -> Placement:
    params = {"key_of_storm": arrival.storm_key, "since": arrival.received_at - STORM_WINDOW}
    absorbed = conn.execute(_QUEUED_SINGLES, params).all()
    count = 1 + sum(group.alert_count for group in absorbed)
    first = min(absorbed, key=lambda g: g.created_at).first_alert_id if absorbed else None
    duplicates = sum(group.duplicate_count for group in absorbed)
    group_id = _open(conn, arrival, STORM, count, first or arrival.alert_id, duplicates)
    if absorbed:
        moved = {"ids": [group.id for group in absorbed], "into": group_id}
        conn.execute(_MERGE_GROUPS, {**moved, "now": arrival.received_at})
        conn.execute(_MOVE_ALERTS, moved)
    return Placement(group_id, is_storm=True, storm_opened=True, alerts_in_group=count)


def _open(
    conn: Connection,
    arrival: Arrival,
    kind: str,
    count: int,
    first_alert_id: str,
    duplicates: int = 0,
) -> str:
    key = storm_group_key(arrival.storm_key) if kind == STORM else f"{SINGLE}:{arrival.fingerprint}"
    group_id = new_group_id()
    conn.execute(
        _INSERT_GROUP,
        {
            "id": group_id,
            "key": key,
            "kind": kind,
            "source": arrival.source,
            "event_type": arrival.event_type,
            "status": QUEUED,
            "attempts": 0,
            "next_attempt_at": arrival.received_at + (STORM_SETTLE if kind == STORM else ZERO),
            "alert_count": count,
            "first_alert_id": first_alert_id,
            "created_at": arrival.received_at,
            "updated_at": arrival.received_at,
            "publish_pending": False,
            "duplicate_count": duplicates,
            "duplicates_shown": 0,
            "duplicates_pending": duplicates > 0,
        },
    )
    return group_id
