"""Whether the database answers in time, for /healthz.

Two signs, both needed: a probe that reads the intake's table under the deadline (it waits
behind a lock taken on that table, but on SQLite never takes or waits for the write lock), and
the webhook's own record of requests that ran out of time (a writer holding SQLite's write
lock, or PostgreSQL locks that block inserts but not reads, show up only there).
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.db_deadline import is_deadline_error, read_only, with_deadline

log = logging.getLogger(__name__)

RECENT_SECONDS = 30.0
PROBE = "SELECT 1 FROM alert LIMIT 1"


class DeadlineWatch:
    """Counts requests that gave up waiting on the database, and remembers the last one."""

    def __init__(self, recent_seconds: float = RECENT_SECONDS) -> None:
        self._recent = recent_seconds
        self._lock = threading.Lock()
        self._last_miss: float | None = None
        self.misses = 0

    def missed(self) -> None:
        with self._lock:
            self.misses += 1
            self._last_miss = time.monotonic()

    def seconds_since_miss(self) -> float | None:
        """Seconds since the last miss, when it was recent enough to matter; else None."""
        with self._lock:
            if self._last_miss is None:
                return None
            ago = time.monotonic() - self._last_miss
        return ago if ago <= self._recent else None


def database_status(engine: Engine, deadline: float, watch: DeadlineWatch | None = None) -> str:
    """ok, or what is wrong, in words an operator can act on."""
    try:
        with read_only(with_deadline(engine, deadline)).connect() as conn:
            conn.execute(text(PROBE))
    except Exception as exc:
        if is_deadline_error(exc):
            log.warning("health check: the database did not answer within %.1f s", deadline)
            return f"not answering in time: no answer within {deadline:g} s"
        log.warning("health check: database unreachable: %s", exc)
        return f"unreachable: {type(exc).__name__}"
    ago = watch.seconds_since_miss() if watch is not None else None
    if ago is not None:
        return f"not answering in time: a webhook request ran out of time {ago:.0f} s ago"
    return "ok"
