"""PostgreSQL appends outside a caller's transaction go through a connection the log keeps.

One autocommit statement per event on that connection; a broken one is replaced without
losing or repeating the event; an unreachable database still fails closed.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine, make_url

from bot.audit.event import AUDIT_TABLE
from bot.audit.log import AuditLog, EventKind, keeps_connections, verify
from bot.db import make_engine
from bot.errors import AuditWriteError
from bot.redaction import Redactor
from tests.support.tcp_cut_proxy import CutProxy, cut_proxy


@pytest.fixture
def pg_engine(engine: Engine) -> Engine:
    if not keeps_connections(engine):
        pytest.skip("kept connections are used on PostgreSQL only")
    return engine


@pytest.fixture
def proxy(pg_engine: Engine) -> Iterator[CutProxy]:
    url = pg_engine.url
    with cut_proxy(url.host or "127.0.0.1", url.port or 5432) as relay:
        yield relay


@pytest.fixture
def proxied_engine(pg_engine: Engine, db_url: str, proxy: CutProxy) -> Iterator[Engine]:
    """The test's database reached through the proxy."""
    url = make_url(db_url).set(host="127.0.0.1", port=proxy.port)
    relayed = make_engine(url.render_as_string(hide_password=False))
    yield relayed
    relayed.dispose()


class Checkouts:
    """Backend pids of the connections taken from the engine's pool, in order."""

    def __init__(self, engine: Engine) -> None:
        self.pids: list[int] = []
        event.listen(engine, "checkout", self._on_checkout)

    def _on_checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        self.pids.append(dbapi_connection.info.backend_pid)


def kept_backend_pid(log: AuditLog, checkouts: Checkouts) -> int:
    """Make the log open its kept connection and return that connection's backend pid."""
    log.record(EventKind.TASK_START, data={"warm": 1})  # the first append reads the head
    checkouts.pids.clear()
    log.record(EventKind.TASK_START, data={"warm": 2})
    assert len(checkouts.pids) == 1, checkouts.pids
    return checkouts.pids[0]


def backend_alive(engine: Engine, pid: int, wait: float = 5.0) -> bool:
    """Whether the server still has that backend; waits up to `wait` s for it to go."""
    deadline = time.monotonic() + wait
    while True:
        with engine.connect() as conn:
            query = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
            alive = conn.execute(query, {"pid": pid}).scalar_one() == 1
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def rows_with_marker(engine: Engine, marker: str) -> int:
    with engine.connect() as conn:
        rows = conn.execute(select(AUDIT_TABLE.c.data)).scalars().all()
    return sum(1 for data in rows if json.loads(data).get("marker") == marker)


def assert_gapless(engine: Engine, count: int) -> None:
    report = verify(engine)
    assert report.ok, report.reason
    assert (report.events_checked, report.head_seq) == (count, count)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AUDIT_TABLE)).scalar_one() == count


def test_appends_after_the_first_reuse_one_kept_connection(pg_engine: Engine) -> None:
    log, checkouts = AuditLog(pg_engine, Redactor()), Checkouts(pg_engine)
    kept_pid = kept_backend_pid(log, checkouts)
    checkouts.pids.clear()
    for index in range(30):
        log.record(EventKind.TOOL_CALL, data={"index": index})
    assert checkouts.pids == []
    assert backend_alive(pg_engine, kept_pid, wait=0)
    assert_gapless(pg_engine, 32)
    log.close()


def test_close_ends_the_kept_connection_and_the_log_goes_on(pg_engine: Engine) -> None:
    log, checkouts = AuditLog(pg_engine, Redactor()), Checkouts(pg_engine)
    kept_pid = kept_backend_pid(log, checkouts)
    log.close()
    assert not backend_alive(pg_engine, kept_pid)
    checkouts.pids.clear()
    log.record(EventKind.TASK_END)
    log.record(EventKind.TASK_END)
    assert len(checkouts.pids) == 2  # a pooled transaction each, nothing kept any more
    assert_gapless(pg_engine, 4)


def test_disposing_the_engine_ends_the_kept_connection(pg_engine: Engine) -> None:
    log, checkouts = AuditLog(pg_engine, Redactor()), Checkouts(pg_engine)
    kept_pid = kept_backend_pid(log, checkouts)
    pg_engine.dispose()
    assert not backend_alive(pg_engine, kept_pid)
    log.record(EventKind.TASK_END)
    assert_gapless(pg_engine, 3)
    log.close()


def test_a_cut_connection_is_replaced_and_the_event_stored_once(
    pg_engine: Engine, proxied_engine: Engine, proxy: CutProxy
) -> None:
    log, checkouts = AuditLog(proxied_engine, Redactor()), Checkouts(proxied_engine)
    kept_pid = kept_backend_pid(log, checkouts)
    proxy.cut_all()
    log.record(EventKind.TOOL_CALL, data={"marker": "after-cut"})
    assert not backend_alive(pg_engine, kept_pid)
    assert rows_with_marker(pg_engine, "after-cut") == 1
    checkouts.pids.clear()
    for index in range(5):
        log.record(EventKind.TOOL_CALL, data={"index": index})
    assert len(checkouts.pids) == 1  # one new kept connection, then reused
    assert_gapless(pg_engine, 8)
    log.close()


def test_a_reply_lost_after_the_commit_is_not_stored_twice(
    pg_engine: Engine, proxied_engine: Engine, proxy: CutProxy
) -> None:
    log = AuditLog(proxied_engine, Redactor())
    for index in range(10):  # past psycopg's prepare threshold: one reply per statement
        log.record(EventKind.TOOL_CALL, data={"index": index})
    proxy.cut_next_reply()
    stored = log.record(EventKind.ACTION_EXECUTED, data={"marker": "lost-reply"})
    assert rows_with_marker(pg_engine, "lost-reply") == 1
    with pg_engine.connect() as conn:
        head_hash = conn.execute(select(AUDIT_TABLE.c.hash).where(AUDIT_TABLE.c.seq == 11))
        assert head_hash.scalar_one() == stored.hash
    log.record(EventKind.TASK_END)
    assert_gapless(pg_engine, 12)
    log.close()


def test_unreachable_database_fails_closed_and_recovers(
    pg_engine: Engine, proxied_engine: Engine, proxy: CutProxy
) -> None:
    log = AuditLog(proxied_engine, Redactor())
    log.record(EventKind.TASK_START)
    log.record(EventKind.TOOL_CALL)
    proxy.refusing = True
    proxy.cut_all()
    marker = uuid.uuid4().hex
    with pytest.raises(AuditWriteError, match="reachable"):
        log.record(EventKind.ACTION_EXECUTED, data={"marker": marker})
    with pytest.raises(AuditWriteError, match="reachable"):
        log.record(EventKind.ACTION_EXECUTED, data={"marker": marker})
    proxy.refusing = False
    log.record(EventKind.TASK_END)
    assert rows_with_marker(pg_engine, marker) == 0
    assert_gapless(pg_engine, 3)
    log.close()
