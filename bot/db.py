"""Engines and sessions: SQLite by default, PostgreSQL by URL. Schema comes from migrations."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import create_engine

from tools.shared import session_scope

__all__ = ["dispose_engine", "get_engine", "is_postgres", "make_engine", "session_scope"]

from bot.boundary.database import guard_writes
from bot.db_deadline import DEFAULT_SQLITE_BUSY_MS, begin_postgres, begin_sqlite
from bot.db_url import checked_url

_engines: dict[str, Engine] = {}


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def normalise_url(url: str) -> str:
    """Accept the postgres:// spellings hosting platforms hand out; use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; busy_timeout makes writers queue, not fail.
    cursor = dbapi_connection.cursor()
    _enable_wal(cursor)
    cursor.execute(f"PRAGMA busy_timeout={DEFAULT_SQLITE_BUSY_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # pysqlite opens transactions lazily and lets BEGIN IMMEDIATE be ours to issue.
    dbapi_connection.isolation_level = None


def _enable_wal(cursor: Any, attempts: int = 20) -> None:
    # Two processes opening a new file at once both try to switch it to WAL; the loser gets
    # "database is locked" at once, without waiting out the busy timeout. Try again, briefly.
    for attempt in range(1, attempts + 1):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts:
                raise
            time.sleep(0.01 * attempt)


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    checked_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _configure_sqlite)
        # Writers take the write lock up front (no upgrade deadlocks); readers do not.
        event.listen(engine, "begin", begin_sqlite)
        return guard_writes(engine)
    engine = create_engine(url, pool_pre_ping=True)
    event.listen(engine, "begin", begin_postgres)
    return guard_writes(engine)


def get_engine(url: str) -> Engine:
    """One engine per URL per process."""
    url = normalise_url(url)
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def dispose_engine(url: str) -> None:
    """Close an engine's pooled connections and forget it (tests, shutdown)."""
    engine = _engines.pop(normalise_url(url), None)
    if engine is not None:
        engine.dispose()
