"""On SQLite, the reads a worker makes every round (duplicate counters due, a thread's turns,
a triage post, the dead-owner scan) run beside a writer that holds the write lock, instead of
queueing behind it for the busy timeout. Tested against a real competing writer."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.alerts.triage.groups import group_of, pending_duplicates
from bot.clock import utcnow
from bot.runtime import Runtime
from bot.slack.answers.store import ConversationStore
from bot.tasks.recovery import release_dead_claims

QUICK = 1.0  # the busy timeout a writer would wait out is 30 s


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite whatever SOCBOT_TEST_DB says: the write lock is SQLite's."""
    return f"sqlite:///{tmp_path / 'socbot-test.db'}"


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    built: Runtime = make_runtime(seed=False)
    _ = built.engine
    return built


@pytest.fixture
def writer(tmp_path: Path, runtime: Runtime) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(tmp_path / "socbot-test.db", isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE rejected_alert SET reason = reason")
    yield conn
    conn.rollback()
    conn.close()


def test_worker_reads_do_not_wait_for_the_write_lock(
    runtime: Runtime, writer: sqlite3.Connection
) -> None:
    engine = runtime.engine
    store = ConversationStore(engine, runtime.redactor)
    reads: dict[str, Callable[[], object]] = {
        "duplicate counters due": lambda: pending_duplicates(engine, utcnow()),
        "an alert's group": lambda: group_of(engine, "alert_none"),
        "a thread's turns": lambda: store.thread("C0ALERTS", "1.0"),
        "a triage post": lambda: store.triage_post("C0ALERTS", "1.0"),
        "the dead-owner scan": lambda: release_dead_claims(engine),
    }
    for what, read in reads.items():
        started = time.monotonic()
        read()
        took = time.monotonic() - started
        assert took < QUICK, f"{what} waited {took:.1f} s for the write lock"
