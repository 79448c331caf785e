"""Several workers on one queue, as threads of one process and as separate processes: every
group is triaged exactly once (FOR UPDATE SKIP LOCKED on PostgreSQL, BEGIN IMMEDIATE on
SQLite), and a restart picks up what a dead worker left."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections import Counter
from typing import Any

import pytest

from bot.alerts.intake.pipeline import Intake, IntakeItem
from bot.alerts.triage.worker import POLL_SECONDS, TriageWorker, TriageWorkerPool
from bot.config import Settings
from bot.db import get_engine
from bot.runtime import Runtime
from tests.alerts.intake_helpers import (
    CountingTriage,
    MakeRuntime,
    RecordingPublisher,
    acme,
    acme_event,
    audit_data,
    counting_triage,
    rows,
)

__all__ = ["acme", "counting_triage"]
pytestmark = pytest.mark.usefixtures("acme")
GROUPS = 40
WORKERS = 4
PROCESSES = 3


def fill_queue(runtime: Runtime, count: int) -> set[str]:
    items = [IntakeItem(acme_event(f"user{n}@example.org"), "acme", "cli") for n in range(count)]
    outcomes = Intake(runtime).accept_many(items)
    assert {o.status for o in outcomes} == {"accepted"}
    return {str(o.group_id) for o in outcomes}


def drain(worker: TriageWorker) -> None:
    while worker.run_once() is not None:
        pass


def assert_each_done_once(runtime: Runtime, groups: set[str]) -> None:
    per_group = Counter(r["group_id"] for r in audit_data(runtime.engine, "triage.result"))
    assert set(per_group) == groups and set(per_group.values()) == {1}
    statuses = rows(runtime.engine, "SELECT status, count(*) FROM triage_group GROUP BY status")
    assert [tuple(row) for row in statuses] == [("done", len(groups))]


def test_worker_threads_triage_every_group_exactly_once(
    make_runtime: MakeRuntime, counting_triage: CountingTriage
) -> None:
    runtime = make_runtime(seed=False, storm_threshold_per_minute=1_000)
    groups = fill_queue(runtime, GROUPS)
    counting_triage.delay_seconds = 0.01
    publisher = RecordingPublisher()
    workers = [TriageWorker(runtime, publisher, name=f"t{n}") for n in range(WORKERS)]
    threads = [threading.Thread(target=drain, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(counting_triage.calls) == sorted(groups)
    assert sorted(g.group_id for g, _ in publisher.posts) == sorted(groups)
    assert_each_done_once(runtime, groups)
    workers_used = rows(runtime.engine, "SELECT DISTINCT worker FROM triage_group")
    assert len(workers_used) > 1  # the work was shared


def _drain_in_child(settings: Settings, barrier: Any, results: Any) -> None:
    get_engine(settings.database_url).dispose(close=False)  # the parent's pool is not ours
    runtime = Runtime(settings)
    worker = TriageWorker(runtime, RecordingPublisher())
    barrier.wait(timeout=30)
    try:
        drain(worker)
        results.put("ok")
    except Exception as exc:
        results.put(f"{type(exc).__name__}: {exc}")


def test_worker_processes_triage_every_group_exactly_once(
    make_runtime: MakeRuntime, counting_triage: CountingTriage
) -> None:
    runtime = make_runtime(seed=False, storm_threshold_per_minute=1_000)
    groups = fill_queue(runtime, GROUPS)
    counting_triage.delay_seconds = 0.02  # the children inherit the counting stand-in
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    children = [
        context.Process(target=_drain_in_child, args=(runtime.settings, barrier, results))
        for _ in range(PROCESSES)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(90)
    assert [results.get(timeout=5) for _ in children] == ["ok"] * PROCESSES
    assert_each_done_once(runtime, groups)
    hosts = rows(runtime.engine, "SELECT DISTINCT worker FROM triage_group")
    assert len(hosts) > 1


def test_a_restarted_worker_picks_up_what_a_dead_one_held(
    make_runtime: MakeRuntime, counting_triage: CountingTriage
) -> None:
    runtime = make_runtime(seed=False)
    groups = fill_queue(runtime, 3)
    crashed = TriageWorker(runtime, RecordingPublisher(), name="crashed")
    crashed.queue.lease = crashed.queue.lease * 0  # its claims expire at once
    held = [crashed.queue.claim(crashed.name) for _ in groups]
    assert all(claim is not None for claim in held)  # then the process "dies"
    restarted = TriageWorker(runtime, RecordingPublisher(), name="restarted")
    drain(restarted)
    assert sorted(counting_triage.calls) == sorted(groups)
    assert_each_done_once(runtime, groups)
    attempts = rows(runtime.engine, "SELECT DISTINCT attempts, worker FROM triage_group")
    assert [tuple(row) for row in attempts] == [(2, "restarted")]


def test_a_worker_pool_triages_when_woken_and_stops(
    make_runtime: MakeRuntime, counting_triage: CountingTriage
) -> None:
    runtime = make_runtime(seed=False)
    publisher = RecordingPublisher()
    pool = TriageWorkerPool(runtime, publisher, threads=2)
    try:
        time.sleep(0.3)  # both idle, waiting out their poll interval (POLL_SECONDS)
        groups = fill_queue(runtime, 2)
        pool.wake()
        deadline = time.monotonic() + POLL_SECONDS * 0.75
        while len(publisher.posts) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sorted(g.group_id for g, _ in publisher.posts) == sorted(groups)
    finally:
        pool.stop(5)
    assert not pool.running
