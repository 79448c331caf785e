"""Recording containment a person did outside socbot (`/socbot contained <id> <note>`).

The id names a triage group (grp_…) or an alert. The audit row (kind human.action, actor the
Slack user id) lists the alerts it covers, so the weekly digest can count them as contained:
for a group, its alerts and those of groups merged into it; for an alert, it and its
duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, or_, select

from bot.alerts.tables import AlertRecord, TriageGroupRecord
from bot.db import session_scope
from bot.errors import AlertError
from bot.runtime import Runtime

NOTE_LIMIT = 1_000


@dataclass(frozen=True)
class Contained:
    group_id: str | None
    alert_ids: list[str]
    note: str


def record_contained(
    runtime: Runtime, user_id: str, ref: str, note: str, *, channel: str | None = None
) -> Contained:
    """Audit human.action for the group or alert `ref`; AlertError when nothing has that id."""
    with session_scope(runtime.engine) as session:
        found = _group(session, ref) or _alert(session, ref)
    if found is None:
        raise AlertError(
            f"no alert or triage group has the id {ref!r}: copy it from the triage post"
        )
    group_id, alert_ids = found
    contained = Contained(group_id, alert_ids, note.strip()[:NOTE_LIMIT])
    runtime.audit.record(
        "human.action",
        actor=user_id,
        data={
            "group_id": contained.group_id,
            "alert_ids": contained.alert_ids,
            "note": contained.note,
            "via": "slack",
            "channel": channel,
        },
    )
    return contained


def _group(session: Session, ref: str) -> tuple[str, list[str]] | None:
    group = session.get(TriageGroupRecord, ref)
    if group is None:
        return None
    merged = select(TriageGroupRecord.id).where(TriageGroupRecord.merged_into == group.id)
    groups = [group.id, *session.exec(merged)]
    query = select(AlertRecord.id).where(col(AlertRecord.group_id).in_(groups))
    return group.id, sorted(session.exec(query))


def _alert(session: Session, ref: str) -> tuple[str | None, list[str]] | None:
    alert = session.get(AlertRecord, ref)
    if alert is None:
        return None
    query = select(AlertRecord.id).where(
        or_(AlertRecord.id == alert.id, col(AlertRecord.duplicate_of) == alert.id)
    )
    return alert.group_id, sorted(session.exec(query))
