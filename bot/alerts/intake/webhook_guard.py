"""What keeps the webhook from being flooded or replayed.

- Refusals are limited per source and client: past `per_minute` refused requests in a
  minute, a client gets 429 and nothing is stored or audited for it, so unsigned junk can
  no longer fill the rejected-alert table and the audit log at line rate.
- Rejected payloads kept per source are held to a byte quota per hour; past it, only the
  first QUOTA_HEAD_BYTES of a payload are kept (the reason and size still are).
- A signed delivery is taken once: its signature, and the vendor's event id when the event
  has one, are recorded (bot.alerts.intake.receipts); a repeat of either is refused as a replay.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.alerts.intake.store import Rejection
from bot.alerts.tables import RejectedAlert
from bot.clock import utcnow
from bot.db import session_scope

WINDOW_SECONDS = 60.0
QUOTA_WINDOW = timedelta(hours=1)
QUOTA_HEAD_BYTES = 1_024
MAX_TRACKED_CLIENTS = 10_000  # beyond this, the oldest clients' counts are dropped


class RefusalLimiter:
    """Sliding one-minute count of refusals per (source, client), in this process."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = per_minute
        self._clock = clock
        self._seen: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def allowed(self, source: str, client: str) -> bool:
        """False once this client has had its share of refusals this minute."""
        with self._lock:
            times = self._recent((source, client))
            return len(times) < self._limit

    def refused(self, source: str, client: str) -> None:
        with self._lock:
            self._recent((source, client)).append(self._clock())
            if len(self._seen) > MAX_TRACKED_CLIENTS:
                self._seen.pop(next(iter(self._seen)))

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        times = self._seen.setdefault(key, deque())
        cutoff = self._clock() - WINDOW_SECONDS
        while times and times[0] < cutoff:
            times.popleft()
        return times


def kept_bytes_this_hour(engine: Engine, source: str | None) -> int:
    since = utcnow() - QUOTA_WINDOW
    query = select(func.coalesce(func.sum(func.length(col(RejectedAlert.payload))), 0)).where(
        col(RejectedAlert.received_at) >= since
    )
    if source is not None:
        query = query.where(col(RejectedAlert.source) == source[:120])
    with session_scope(engine) as session:
        return int(session.exec(query).one())


def within_quota(engine: Engine, rejection: Rejection, quota: int) -> Rejection:
    """The rejection as it may be kept: whole while the source is under its quota, else its
    head only (marked truncated)."""
    if len(rejection.raw.data) <= QUOTA_HEAD_BYTES:
        return rejection
    if kept_bytes_this_hour(engine, rejection.source) + len(rejection.raw.data) <= quota:
        return rejection
    head = replace(rejection.raw, data=rejection.raw.data[:QUOTA_HEAD_BYTES], truncated=True)
    note = f" (payload cut to {QUOTA_HEAD_BYTES} bytes: the source's hourly quota is used up)"
    return replace(rejection, raw=head, reason=(rejection.reason + note)[:500])
