"""Readers on one snapshot of the audit log, one connection each, so figures for several
windows can be read on separate threads and still agree with each other.

PostgreSQL shares a snapshot outright (pg_export_snapshot, SET TRANSACTION SNAPSHOT). SQLite
cannot, so the readers take theirs while a short transaction holds the write lock: no commit
can land between the first reader's snapshot and the last one's. The lock is released before
any figure is read; audit appends wait for it for a moment at most.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from sqlalchemy.engine import Engine

from bot.db import is_postgres
from bot.digest.reader import AuditReader
from bot.digest.sql_dialects import PostgresReader, SqliteReader


@contextmanager
def audit_snapshots(engine: Engine, count: int) -> Iterator[list[AuditReader]]:
    with ExitStack() as stack:
        kind = PostgresReader if is_postgres(engine) else SqliteReader
        readers: list[AuditReader] = [
            kind(stack.enter_context(_driver_connection(engine))) for _ in range(count)
        ]
        for reader in readers:
            stack.callback(reader.end)
        if is_postgres(engine):
            _begin_in_one_snapshot(readers)
        else:
            with _write_lock(engine):
                for reader in readers:
                    reader.begin()
                    reader.fix_snapshot()
        yield readers


@contextmanager
def audit_snapshot(engine: Engine) -> Iterator[AuditReader]:
    """One reader over a read-only snapshot; released on exit."""
    with audit_snapshots(engine, 1) as (reader,):
        yield reader


def _begin_in_one_snapshot(readers: list[AuditReader]) -> None:
    first, *others = readers
    first.begin()
    snapshot = first.export_snapshot() if others else None
    for reader in others:
        reader.begin(snapshot)


@contextmanager
def _driver_connection(engine: Engine) -> Iterator[Any]:
    pooled = engine.raw_connection()
    try:
        yield pooled.driver_connection
    finally:
        pooled.close()


@contextmanager
def _write_lock(engine: Engine) -> Iterator[None]:
    with _driver_connection(engine) as connection:
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
