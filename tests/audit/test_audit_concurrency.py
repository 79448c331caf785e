"""Several processes, or threads of one, appending at once still build one gapless chain."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.engine import Engine

from bot.audit.event import AUDIT_TABLE
from bot.audit.log import AuditLog, EventKind, keeps_connections, verify
from bot.clock import as_utc
from bot.db import make_engine
from bot.redaction import Redactor
from bot.schema import create_schema

POSTGRES_URL = os.environ.get(
    "SOCBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def append_events(url: str, writer: int, count: int, start: Barrier) -> None:
    """Runs in a child process: one engine, one AuditLog, count events, all writers at once."""
    engine = make_engine(url)
    log = AuditLog(engine)
    start.wait(timeout=120)
    for index in range(count):
        kind = EventKind.TOOL_CALL if index % 2 else EventKind.TOOL_RESULT
        log.record(kind, task_id=f"writer-{writer}", data={"writer": writer, "index": index})
    engine.dispose()


def run_writers(url: str, writers: int, count: int) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(writers)
    processes = [
        context.Process(target=append_events, args=(url, writer, count, start))
        for writer in range(writers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    assert [process.exitcode for process in processes] == [0] * writers


def assert_one_chain(engine: Engine, writers: int, count: int) -> None:
    total = writers * count
    report = verify(engine, batch_size=256)
    assert report.ok, report.reason
    assert (report.events_checked, report.head_seq) == (total, total)
    with engine.connect() as conn:
        rows = conn.execute(select(AUDIT_TABLE.c.seq, AUDIT_TABLE.c.data)).all()
    assert sorted(row.seq for row in rows) == list(range(1, total + 1))
    per_writer = Counter(json.loads(row.data)["writer"] for row in rows)
    assert per_writer == {writer: count for writer in range(writers)}


def test_sqlite_writer_processes_share_one_chain(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'concurrent.db'}"
    engine = make_engine(url)
    create_schema(engine)
    run_writers(url, writers=4, count=50)
    assert_one_chain(engine, writers=4, count=50)
    engine.dispose()


def postgres_reachable() -> bool:
    engine = make_engine(POSTGRES_URL)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    if not postgres_reachable():
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_postgres_writer_processes_share_one_chain(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    create_schema(engine)
    run_writers(postgres_url, writers=8, count=150)
    assert_one_chain(engine, writers=8, count=150)
    engine.dispose()


def append_in_threads(logs: list[AuditLog], count: int) -> list[BaseException]:
    """One thread per log (logs may repeat), all released at once; returns their failures."""
    start, failures = threading.Barrier(len(logs)), []

    def run(writer: int, log: AuditLog) -> None:
        try:
            start.wait(timeout=60)
            for index in range(count):
                log.record(EventKind.TOOL_CALL, data={"writer": writer, "index": index})
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(logs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return failures


def test_threads_share_one_chain_in_order(engine: Engine) -> None:
    shared, own = AuditLog(engine, Redactor()), AuditLog(engine, Redactor())
    logs = [shared] * 5 + [own]  # one log used by several threads, and a second log beside it
    assert append_in_threads(logs, count=40) == []
    assert_one_chain(engine, writers=len(logs), count=40)
    with engine.connect() as conn:
        rows = conn.execute(select(AUDIT_TABLE).order_by(AUDIT_TABLE.c.seq)).all()
    # Each writer's events keep its order, and time never runs backwards along the chain.
    by_writer: dict[int, list[int]] = {}
    for row in rows:
        data = json.loads(row.data)
        by_writer.setdefault(data["writer"], []).append(data["index"])
    assert all(indexes == list(range(40)) for indexes in by_writer.values())
    assert all(as_utc(a.ts) <= as_utc(b.ts) for a, b in itertools.pairwise(rows))
    shared.close()
    own.close()


def append_in_forked_child(log: AuditLog, count: int) -> None:
    """Runs in a forked child: what SQLAlchemy asks of a child, then appends on the same log."""
    log.engine.dispose(close=False)
    for index in range(count):
        log.record(EventKind.TOOL_RESULT, data={"writer": "child", "index": index})


def test_forked_child_leaves_the_parents_kept_connection_alone(engine: Engine) -> None:
    if not keeps_connections(engine):
        pytest.skip("kept connections are used on PostgreSQL only")
    log, checkouts = AuditLog(engine, Redactor()), []
    for index in range(3):
        log.record(EventKind.TOOL_CALL, data={"writer": "parent", "index": index})
    event.listen(engine, "checkout", lambda *_: checkouts.append(1))
    child = multiprocessing.get_context("fork").Process(
        target=append_in_forked_child, args=(log, 5)
    )
    child.start()
    child.join(timeout=120)
    assert child.exitcode == 0
    for index in range(3, 6):
        log.record(EventKind.TOOL_CALL, data={"writer": "parent", "index": index})
    # The parent's kept connection survived the child: the parent took one pooled connection,
    # to read the head the child had moved, and no other.
    assert len(checkouts) == 1
    report = verify(engine)
    assert report.ok and report.head_seq == 11, report
    log.close()
