"""Deadlines and read-only transactions, chosen per engine view with execution options.

`with_deadline(engine, seconds)` is the same engine (same pool) whose transactions give up
after `seconds` waiting on a lock or running a statement: on PostgreSQL by
`SET LOCAL statement_timeout` and `lock_timeout`, on SQLite by the busy timeout. A request
that must answer its sender in time uses it, so a held lock turns into a prompt 503, not a
wait the sender gives up on (and then sends the alert again).

`read_only(engine)` is the engine whose SQLite transactions begin DEFERRED: they read a WAL
snapshot and never take or wait for the write lock. Only work that writes nothing may use
it: a deferred transaction that later writes can fail at once on a busy database.

bot.db installs the begin hooks below on every engine it makes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

DEADLINE_OPTION = "socbot_deadline_seconds"
READ_ONLY_OPTION = "socbot_read_only"
DEFAULT_SQLITE_BUSY_MS = 30_000  # work without a deadline (workers, CLI) queues patiently
_BUSY_MS_KEY = "socbot_busy_timeout_ms"
# PostgreSQL's codes for lock_timeout, statement_timeout and deadlock victims.
_POSTGRES_TIMEOUT_CODES = {"55P03", "57014", "40P01"}


def with_deadline(engine: Engine, seconds: float) -> Engine:
    """engine whose transactions stop waiting after `seconds`."""
    return engine.execution_options(**{DEADLINE_OPTION: float(seconds)})


def read_only(engine: Engine) -> Engine:
    """engine for transactions that only read: on SQLite they skip the write lock."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def deadline_ms(conn: Connection) -> int | None:
    seconds = conn.get_execution_options().get(DEADLINE_OPTION)
    return None if seconds is None else max(1, int(float(seconds) * 1000))


def begin_sqlite(conn: Connection) -> None:
    """BEGIN IMMEDIATE for writers (no upgrade deadlocks), DEFERRED for readers; the busy
    timeout set to this view's deadline first."""
    _set_busy_timeout(conn, deadline_ms(conn) or DEFAULT_SQLITE_BUSY_MS)
    reading = bool(conn.get_execution_options().get(READ_ONLY_OPTION))
    conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def _set_busy_timeout(conn: Connection, ms: int) -> None:
    # The pooled connection keeps the pragma, so set it only when it changes.
    info = conn.connection.info
    if info.get(_BUSY_MS_KEY) != ms:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(ms)}")
        info[_BUSY_MS_KEY] = ms


def begin_postgres(conn: Connection) -> None:
    """SET LOCAL timeouts for a view with a deadline; they end with the transaction."""
    ms = deadline_ms(conn)
    if ms is None:
        return
    conn.exec_driver_sql(f"SET LOCAL statement_timeout = {ms}")
    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {ms}")


def is_deadline_error(exc: BaseException) -> bool:
    """Whether exc says the database did not answer in time (a lock held, a slow statement),
    as opposed to a broken statement or connection."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_timeout(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _is_timeout(exc: BaseException) -> bool:
    original: Any = exc.orig if isinstance(exc, DBAPIError) else exc
    code = getattr(original, "sqlstate", None)
    if code in _POSTGRES_TIMEOUT_CODES:
        return True
    message = str(original).lower()
    return type(original).__name__ == "OperationalError" and (
        "database is locked" in message or "database table is locked" in message
    )
