"""Several processes appending at once still build one gapless, verifiable chain."""

from __future__ import annotations

import json
import multiprocessing
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from bot.audit import AuditLog, EventKind, verify
from bot.audit_event import AUDIT_TABLE
from bot.db import make_engine
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
