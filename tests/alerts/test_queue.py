"""The triage queue: claims, exponential backoff up to the attempt limit, leases that outlive
dead workers, publishing (with retries) and coalesced duplicate counters."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest

import bot.alerts.intake.storm
import bot.alerts.triage.queue
from bot.alerts.intake.pipeline import Intake, IntakeOutcome
from bot.alerts.tables import TriageGroupRecord
from bot.alerts.triage.queue import TriageQueue
from bot.alerts.triage.worker import TriageWorker
from bot.clock import as_utc, utcnow
from bot.db import session_scope
from bot.runtime import Runtime
from tests.alerts.intake_helpers import (
    CountingTriage,
    MakeRuntime,
    RecordingPublisher,
    acme,
    acme_event,
    audit_data,
    counting_triage,
)

__all__ = ["acme", "counting_triage"]
pytestmark = pytest.mark.usefixtures("acme")


def queued(runtime: Runtime, *users: str) -> list[IntakeOutcome]:
    intake = Intake(runtime)
    return [intake.accept(acme_event(user), source="acme") for user in users]


def group(runtime: Runtime, group_id: str | None) -> TriageGroupRecord:
    with session_scope(runtime.engine) as session:
        row = session.get(TriageGroupRecord, group_id)
    assert row is not None
    return row


def make_due(runtime: Runtime, group_id: str | None) -> None:
    with session_scope(runtime.engine) as session:
        row = session.get(TriageGroupRecord, group_id)
        assert row is not None
        row.next_attempt_at = utcnow() - timedelta(seconds=1)
        session.add(row)


def near(moment: datetime, expected: datetime, slack: float = 3.0) -> bool:
    return abs((as_utc(moment) - expected).total_seconds()) <= slack


def test_claims_take_the_oldest_due_group_once(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(seed=False)
    first, second = queued(runtime, "a@example.org", "b@example.org")
    queue = TriageQueue(runtime.engine, runtime.audit, max_attempts=3, lease_seconds=60)
    one, two = queue.claim("w1"), queue.claim("w2")
    assert one is not None and two is not None
    assert (one.group_id, two.group_id) == (first.group_id, second.group_id)
    assert queue.claim("w3") is None
    row = group(runtime, first.group_id)
    assert (row.status, row.worker, row.attempts) == ("running", "w1", 1)
    assert near(row.lease_until, utcnow() + timedelta(seconds=60))


def test_failed_triage_backs_off_exponentially_then_fails_audited(
    make_runtime: MakeRuntime, counting_triage: CountingTriage
) -> None:
    runtime = make_runtime(seed=False, triage_max_attempts=3)
    (outcome,) = queued(runtime, "a@example.org")
    queue = TriageQueue(runtime.engine, runtime.audit, max_attempts=3, backoff_seconds=10)
    worker = TriageWorker(runtime, RecordingPublisher(), queue=queue)
    counting_triage.failures = 3
    for attempt, delay in ((1, 10), (2, 20)):
        work = worker.run_once()
        assert work is not None and work.status == "queued"
        row = group(runtime, outcome.group_id)
        assert (row.status, row.attempts) == ("queued", attempt)
        assert near(row.next_attempt_at, utcnow() + timedelta(seconds=delay))
        assert "the model fell over" in row.last_error
        assert worker.run_once() is None  # not due yet
        make_due(runtime, outcome.group_id)
    work = worker.run_once()
    assert work is not None and work.status == "failed"
    assert group(runtime, outcome.group_id).status == "failed"
    (failure,) = [e for e in audit_data(runtime.engine, "error") if e["error"] == "TriageFailed"]
    assert failure["group_id"] == outcome.group_id and failure["attempts"] == 3
    assert failure["alert_ids"] == [outcome.alert_id]
    assert counting_triage.calls == [outcome.group_id] * 3


def test_a_group_whose_worker_died_is_taken_over_after_the_lease(
    make_runtime: MakeRuntime, counting_triage: CountingTriage
) -> None:
    runtime = make_runtime(seed=False)
    (outcome,) = queued(runtime, "a@example.org")
    queue = TriageQueue(runtime.engine, runtime.audit, max_attempts=3, lease_seconds=0.5)
    dead = queue.claim("dead-worker")  # claims, then never finishes
    assert dead is not None
    survivor = TriageWorker(runtime, RecordingPublisher(), queue=queue, name="survivor")
    assert survivor.run_once() is None  # the lease still holds
    time.sleep(0.6)
    work = survivor.run_once()
    assert work is not None and (work.group_id, work.status) == (outcome.group_id, "done")
    row = group(runtime, outcome.group_id)
    assert (row.status, row.worker, row.attempts) == ("done", "survivor", 2)
    assert work.result is not None and group(runtime, outcome.group_id).task_id == (
        work.result.task_id
    )
    assert not queue.complete(dead, work.result)  # the dead worker's claim no longer counts
    assert counting_triage.calls == [outcome.group_id]


def test_a_lease_lost_at_the_last_attempt_fails_the_group(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(seed=False)
    (outcome,) = queued(runtime, "a@example.org")
    queue = TriageQueue(runtime.engine, runtime.audit, max_attempts=1, lease_seconds=0.2)
    assert queue.claim("dies") is not None
    time.sleep(0.3)
    assert queue.claim("next") is None
    row = group(runtime, outcome.group_id)
    assert row.status == "failed" and "its worker stopped 1 times" in row.last_error
    assert [e["group_id"] for e in audit_data(runtime.engine, "error")] == [outcome.group_id]


def test_each_group_is_triaged_and_published_once_with_its_post_kept(
    make_runtime: MakeRuntime, counting_triage: CountingTriage
) -> None:
    runtime = make_runtime(seed=False)
    outcomes = queued(runtime, "a@example.org", "b@example.org")
    publisher = RecordingPublisher()
    worker = TriageWorker(runtime, publisher)
    while worker.run_once() is not None:
        pass
    assert sorted(counting_triage.calls) == sorted(o.group_id for o in outcomes)  # type: ignore[type-var]
    assert [g.group_id for g, _ in publisher.posts] == [o.group_id for o in outcomes]
    for outcome, (posted, result) in zip(outcomes, publisher.posts, strict=True):
        row = group(runtime, outcome.group_id)
        assert (row.status, row.post_channel, row.publish_pending) == ("done", "C0ALERTS", False)
        assert row.task_id == result.task_id and row.verdict == "suspicious"
        assert list(posted.alert_ids) == [outcome.alert_id] and posted.total == 1
    results = audit_data(runtime.engine, "triage.result")
    assert sorted(r["group_id"] for r in results) == sorted(o.group_id for o in outcomes)  # type: ignore[type-var]
    assert {r["engine"] for r in results} == {"counting"}


def test_duplicates_update_the_first_post_once_per_round(
    make_runtime: MakeRuntime, counting_triage: CountingTriage
) -> None:
    runtime = make_runtime(seed=False)
    (first,) = queued(runtime, "a@example.org")
    (early,) = queued(runtime, "a@example.org")  # before there is a post to count on
    publisher = RecordingPublisher()
    worker = TriageWorker(runtime, publisher, duplicate_seconds=0)
    worker.run_once()  # triages and posts; the early duplicate waits for the next round
    assert early.status == "duplicate" and len(publisher.posts) == 1
    assert publisher.duplicates == []
    worker.run_once()
    assert publisher.duplicates == [(_post(1), first.alert_id, 1)]
    queued(runtime, *["a@example.org"] * 4)
    worker.run_once()
    worker.run_once()
    assert publisher.duplicates[1:] == [(_post(1), first.alert_id, 5)]  # four, one update
    assert counting_triage.calls == [first.group_id]


def test_a_post_is_updated_at_most_every_few_seconds(
    make_runtime: MakeRuntime, counting_triage: CountingTriage
) -> None:
    runtime = make_runtime(seed=False)
    (first,) = queued(runtime, "a@example.org")
    publisher = RecordingPublisher()
    worker = TriageWorker(runtime, publisher, duplicate_seconds=60)
    worker.run_once()
    queued(runtime, "a@example.org")
    worker.run_once()
    queued(runtime, "a@example.org", "a@example.org")
    worker.run_once()
    assert publisher.duplicates == [(_post(1), first.alert_id, 1)]  # the others wait
    with session_scope(runtime.engine) as session:
        row = session.get(TriageGroupRecord, first.group_id)
        assert row is not None and row.duplicates_pending and row.duplicates_shown_at
        row.duplicates_shown_at = utcnow() - timedelta(seconds=61)
        session.add(row)
    worker.run_once()
    assert publisher.duplicates[1:] == [(_post(1), first.alert_id, 3)]
    assert not group(runtime, first.group_id).duplicates_pending


def test_a_storm_post_counts_the_duplicates_of_all_its_alerts(
    make_runtime: MakeRuntime, counting_triage: CountingTriage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.alerts.intake.storm, "STORM_SETTLE", timedelta(0))
    runtime = make_runtime(seed=False, storm_threshold_per_minute=2)
    storm = queued(runtime, *(f"user{n}@example.org" for n in range(5)))
    queued(runtime, "user0@example.org", "user0@example.org", "user4@example.org")
    publisher = RecordingPublisher()
    worker = TriageWorker(runtime, publisher, duplicate_seconds=0)
    worker.run_once()
    worker.run_once()
    ((posted, _),) = publisher.posts
    assert posted.is_storm and posted.total == 5
    assert publisher.duplicates == [(_post(1), storm[0].alert_id, 3)]  # one update, all three


def _post(number: int) -> Any:
    from bot.posts import PostRef

    return PostRef("C0ALERTS", f"1764000000.{number:06d}")


def test_a_failed_publish_keeps_the_triage_and_is_retried(
    make_runtime: MakeRuntime, counting_triage: CountingTriage, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime(seed=False)
    (outcome,) = queued(runtime, "a@example.org")
    publisher = RecordingPublisher(fail_posts=1)
    worker = TriageWorker(runtime, publisher)
    work = worker.run_once()
    assert work is not None and work.status == "done" and publisher.posts == []
    row = group(runtime, outcome.group_id)
    assert row.publish_pending and "slack is down" in row.last_error
    assert worker.run_once() is None and publisher.posts == []  # retried later, not at once
    monkeypatch.setattr(bot.alerts.triage.queue, "PUBLISH_RETRY_SECONDS", 0.0)
    make_due(runtime, outcome.group_id)
    worker.run_once()
    assert [g.group_id for g, _ in publisher.posts] == [outcome.group_id]
    assert publisher.posts[0][1].task_id == row.task_id  # the stored result, not a new triage
    assert counting_triage.calls == [outcome.group_id]
    row = group(runtime, outcome.group_id)
    assert (row.publish_pending, row.post_ts, row.last_error) == (False, _post(1).ts, None)
