"""On SQLite, reading never waits for the write lock, and a webhook request waits for it only
up to its deadline, then answers 503: tested against a real competing writer."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.alerts.deadline_helpers import (
    DEADLINE,
    PROMPT,
    Site,
    assert_refused_in_time,
    served_site,
)
from tests.alerts.intake_helpers import MakeRuntime
from tests.alerts.webhook_helpers import SECRETS


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite whatever SOCBOT_TEST_DB says: the write lock is SQLite's."""
    return f"sqlite:///{tmp_path / 'socbot-test.db'}"


@pytest.fixture
def site(make_runtime: MakeRuntime) -> Iterator[Site]:
    runtime = make_runtime(seed=False, alert_secrets=SECRETS, db_deadline_seconds=DEADLINE)
    with served_site(runtime) as served:
        yield served


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """Another process's connection, holding the write lock with a write under way."""
    conn = sqlite3.connect(tmp_path / "socbot-test.db", isolation_level=None)
    yield conn
    conn.close()


def hold_write_lock(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE rejected_alert SET reason = reason")


def test_healthz_reads_beside_a_writer_without_waiting(
    site: Site, writer: sqlite3.Connection
) -> None:
    hold_write_lock(writer)
    status, report, took = site.health()
    assert (status, report["database"]) == (200, "ok")
    assert took < DEADLINE, f"/healthz waited {took:.1f} s for the write lock"
    writer.rollback()


def test_a_webhook_writer_waits_only_its_deadline_then_503(
    site: Site, writer: sqlite3.Connection
) -> None:
    hold_write_lock(writer)
    reply, took = site.send_alert()
    assert_refused_in_time(reply, took)
    status, report, waited = site.health()
    assert status == 503 and waited < PROMPT
    assert "a webhook request ran out of time" in str(report["database"])
    writer.rollback()

    reply, _ = site.send_alert()
    assert (reply.status, reply.body["status"]) == (202, "accepted")
    assert site.stored_alerts() == 1
