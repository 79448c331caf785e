"""Storms: past the per-minute threshold, alerts of one (source, type) form one storm group,
which absorbs the single groups still queued and keeps absorbing until a worker claims it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, select

from bot.alerts.intake.pipeline import Intake
from bot.alerts.intake.storm import STORM_SETTLE
from bot.alerts.tables import TriageGroupRecord
from bot.alerts.triage.queue import TriageQueue
from bot.clock import as_utc, utcnow
from bot.db import session_scope
from tests.alerts.intake_helpers import MakeRuntime, acme, acme_event, audit_data, rows, scalar

__all__ = ["acme"]
pytestmark = pytest.mark.usefixtures("acme")
THRESHOLD = 3


def storm_intake(make_runtime: MakeRuntime) -> Intake:
    return Intake(make_runtime(seed=False, storm_threshold_per_minute=THRESHOLD))


def users(count: int, name: str = "user", **event: Any) -> list[dict[str, Any]]:
    return [acme_event(f"{name}{n}@example.org", **event) for n in range(count)]


def groups(intake: Intake) -> list[TriageGroupRecord]:
    query = select(TriageGroupRecord).order_by(
        col(TriageGroupRecord.created_at), col(TriageGroupRecord.id)
    )
    with session_scope(intake.engine) as session:
        return list(session.scalars(query))


def test_alerts_past_the_threshold_become_one_storm_group(make_runtime: MakeRuntime) -> None:
    intake = storm_intake(make_runtime)
    outcomes = [intake.accept(event, source="acme") for event in users(12)]
    settled = utcnow() + STORM_SETTLE
    assert [o.storm for o in outcomes] == [False] * THRESHOLD + [True] * (12 - THRESHOLD)
    storm_id = outcomes[-1].group_id
    by_status = {(g.status, g.kind): g for g in groups(intake)}
    storm = by_status[("queued", "storm")]
    assert storm.id == storm_id and storm.alert_count == 12
    assert abs((as_utc(storm.next_attempt_at) - settled).total_seconds()) < 5  # it gathers
    assert (
        TriageQueue(intake.engine, make_runtime(seed=False).audit, max_attempts=1).claim(
            "too-early"
        )
        is None
    )
    assert storm.first_alert_id == outcomes[0].alert_id
    merged = [g for g in groups(intake) if g.status == "merged"]
    assert len(merged) == THRESHOLD and {g.merged_into for g in merged} == {storm_id}
    assert {r[0] for r in rows(intake.engine, "SELECT group_id FROM alert")} == {storm_id}
    (storm_audit,) = audit_data(intake.engine, "alert.storm")
    assert storm_audit["group_id"] == storm_id and storm_audit["alerts"] == THRESHOLD + 1


def test_other_event_types_are_not_part_of_the_storm(make_runtime: MakeRuntime) -> None:
    intake = storm_intake(make_runtime)
    for event in users(6):
        intake.accept(event, source="acme")
    quiet = intake.accept(acme_event(kind="password.reset"), source="acme")
    assert not quiet.storm
    assert scalar(intake.engine, "SELECT kind FROM triage_group WHERE id = :g", g=quiet.group_id)
    assert [g.kind for g in groups(intake) if g.status == "queued"] == ["storm", "single"]


def test_duplicates_neither_start_nor_join_a_storm(make_runtime: MakeRuntime) -> None:
    intake = storm_intake(make_runtime)
    outcomes = [intake.accept(acme_event(), source="acme") for _ in range(10)]
    assert [o.status for o in outcomes] == ["accepted"] + ["duplicate"] * 9
    assert [(g.kind, g.alert_count) for g in groups(intake)] == [("single", 1)]


def test_a_claimed_storm_group_stops_absorbing_and_a_new_one_opens(
    make_runtime: MakeRuntime,
) -> None:
    intake = storm_intake(make_runtime)
    runtime_queue = TriageQueue(intake.engine, make_runtime(seed=False).audit, max_attempts=3)
    first = [intake.accept(event, source="acme") for event in users(5)]
    claim = runtime_queue.claim("worker-a", group_id=first[-1].group_id)
    assert claim is not None
    later = [intake.accept(event, source="acme") for event in users(3, "late")]
    assert [o.status for o in later] == ["accepted"] * 3
    assert len({o.group_id for o in later}) == 1 and later[0].group_id != claim.group_id
    counts = {g.id: g.alert_count for g in groups(intake)}
    assert counts[claim.group_id] == 5 and counts[later[0].group_id] == 3
    assert len(audit_data(intake.engine, "alert.storm")) == 2
