"""Reading triage groups back: the alerts a triage sees, stored results, duplicate counters.

A group's sample is its first alert of each distinct fingerprint, in arrival order, up to
SAMPLE_SIZE: a storm over 50 identities shows the model five different ones, not the same
one five times.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from bot.alerts.model import Alert
from bot.alerts.tables import ACCEPTED, STORM, AlertRecord, TriageGroupRecord
from bot.alerts.triage.publish import TriageGroup
from bot.alerts.triage.verdict import TriageResult
from bot.clock import utcnow
from bot.db import session_scope
from bot.db_deadline import read_only
from bot.errors import AlertError
from bot.posts import PostRef

SAMPLE_SIZE = 5


@dataclass(frozen=True)
class LoadedGroup:
    group: TriageGroup
    record: TriageGroupRecord
    variety: int  # distinct fingerprints in the group
    origins: frozenset[str] = frozenset()  # who posted any of its alerts (Slack ids)

    @property
    def actor(self) -> str:
        return f"alert:{self.record.source}"


@dataclass(frozen=True)
class PendingDuplicates:
    group_id: str
    first_alert_id: str  # the group's first alert: its post is the group's post
    count: int  # duplicates of all the group's alerts
    post: PostRef


def group_alert_ids(session: Session, group_id: str) -> list[str]:
    return [row[0] for row in _members(session, group_id)]


def _members(session: Session, group_id: str) -> list[tuple[str, str]]:
    query = (
        select(col(AlertRecord.id), col(AlertRecord.fingerprint))
        .where(col(AlertRecord.group_id) == group_id, col(AlertRecord.status) == ACCEPTED)
        .order_by(col(AlertRecord.received_at), col(AlertRecord.id))
    )
    return [(row[0], row[1]) for row in session.execute(query)]


def load_group(engine: Engine, group_id: str, sample: int = SAMPLE_SIZE) -> LoadedGroup:
    """The group as triage and the publisher see it."""
    with session_scope(read_only(engine)) as session:
        record = session.get(TriageGroupRecord, group_id)
        if record is None:
            raise AlertError(f"no triage group {group_id}")
        members = _members(session, group_id)
        chosen = _sample(members, sample)
        rows = session.scalars(select(AlertRecord).where(col(AlertRecord.id).in_(chosen)))
        by_id = {row.id: Alert.model_validate_json(row.normalized) for row in rows}
        origins = group_origins(session, group_id)
    group = TriageGroup(
        group_id=group_id,
        alert_ids=[alert_id for alert_id, _ in members],
        alerts=[by_id[alert_id] for alert_id in chosen if alert_id in by_id],
        total=len(members),
        is_storm=record.kind == STORM,
    )
    return LoadedGroup(group, record, len({fp for _, fp in members}), origins)


def group_origins(session: Session, group_id: str) -> frozenset[str]:
    """Everyone who posted an alert of the group, duplicates included: each is a requester."""
    query = select(col(AlertRecord.origin_json)).where(
        col(AlertRecord.group_id) == group_id, col(AlertRecord.origin_json).is_not(None)
    )
    return frozenset(
        poster for (text,) in session.execute(query).all() for poster in json.loads(text)
    )


def _sample(members: Sequence[tuple[str, str]], size: int) -> list[str]:
    seen: set[str] = set()
    chosen: list[str] = []
    for alert_id, print_ in members:
        if print_ not in seen:
            seen.add(print_)
            chosen.append(alert_id)
            if len(chosen) == size:
                break
    return chosen


def stored_result(record: TriageGroupRecord) -> TriageResult | None:
    return TriageResult.model_validate_json(record.result) if record.result else None


def pending_duplicates(
    engine: Engine, not_since: datetime, limit: int = 100
) -> list[PendingDuplicates]:
    """Posts that show fewer duplicates than their group has, and were not updated since
    not_since (so that a storm of duplicates is one update every so often, not thousands)."""
    query = (
        select(TriageGroupRecord)
        .where(
            col(TriageGroupRecord.duplicates_pending),
            col(TriageGroupRecord.post_ts).is_not(None),
            or_(
                col(TriageGroupRecord.duplicates_shown_at).is_(None),
                col(TriageGroupRecord.duplicates_shown_at) <= not_since,
            ),
        )
        .limit(limit)
    )
    with session_scope(read_only(engine)) as session:
        groups = list(session.scalars(query))
    return [
        PendingDuplicates(
            group.id,
            group.first_alert_id,
            group.duplicate_count,
            PostRef(str(group.post_channel), str(group.post_ts)),
        )
        for group in groups
    ]


def mark_duplicates_published(engine: Engine, group_id: str, count: int) -> None:
    """The post shows count; still pending if more duplicates came in meanwhile."""
    with session_scope(engine) as session:
        session.execute(
            update(TriageGroupRecord)
            .where(col(TriageGroupRecord.id) == group_id)
            .values(
                duplicates_shown=count,
                duplicates_shown_at=utcnow(),
                duplicates_pending=col(TriageGroupRecord.duplicate_count) > count,
            )
        )


def current_groups(engine: Engine, alert_ids: Sequence[str], chunk: int = 500) -> set[str]:
    """The groups the alerts are in now (a storm may have merged the groups they joined)."""
    groups: set[str] = set()
    with session_scope(read_only(engine)) as session:
        for start in range(0, len(alert_ids), chunk):
            ids = alert_ids[start : start + chunk]
            query = select(col(AlertRecord.group_id)).where(col(AlertRecord.id).in_(ids))
            groups.update(str(g) for g in session.scalars(query) if g)
    return groups


def group_of(engine: Engine, alert_id: str) -> str | None:
    """The group an alert is in now."""
    with session_scope(read_only(engine)) as session:
        record = session.get(AlertRecord, alert_id)
        return record.group_id if record is not None else None
