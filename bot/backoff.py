"""Backing off a failing service, one kind of call at a time, without sleeping.

`Backoff` remembers, per kind of call (a Slack method, say), whether the service is failing
it and until when to leave it alone. A caller asks `wait_left(kind)` before calling; while it
is above zero the caller does not call, it schedules the work for `retry_at(kind)` and moves
on to other work. The waits grow exponentially with jitter (so several workers and processes
do not retry in step), or follow the service's own Retry-After.

An outage is logged twice: once when it starts, once when the service answers again with how
long it lasted and how many attempts failed. The attempts in between are not logged.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import utcnow
from bot.errors import RetryLater

__all__ = ["Backoff", "RetryLater"]

FIRST_WAIT_SECONDS = 1.0
LONGEST_WAIT_SECONDS = 60.0


@dataclass
class _Outage:
    started: float
    reason: str
    failures: int = 0
    until: float = 0.0


class Backoff:
    """Per-kind backoff state, shared by the threads of one process."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        first_wait: float = FIRST_WAIT_SECONDS,
        longest_wait: float = LONGEST_WAIT_SECONDS,
        what: str = "call",
    ) -> None:
        self._log = logger
        self._first = first_wait
        self._longest = longest_wait
        self._what = what
        self._lock = threading.Lock()
        self._outages: dict[str, _Outage] = {}

    def wait_left(self, kind: str) -> float:
        """Seconds to leave kind alone still; 0 when a call may be made."""
        with self._lock:
            outage = self._outages.get(kind)
            return 0.0 if outage is None else max(0.0, outage.until - time.monotonic())

    def retry_at(self, kind: str) -> datetime:
        return utcnow() + timedelta(seconds=self.wait_left(kind))

    def failed(self, kind: str, reason: str, retry_after: float | None = None) -> float:
        """Record a failed call of kind; the seconds to wait before the next one."""
        now = time.monotonic()
        with self._lock:
            outage = self._outages.get(kind)
            starting = outage is None
            if outage is None:
                outage = self._outages[kind] = _Outage(now, reason)
            outage.failures += 1
            wait = self._wait(outage.failures, retry_after)
            outage.until = now + wait
        if starting:
            self._log.warning(
                "%s %s is failing (%s); backing off, next attempt in %.1f s",
                self._what,
                kind,
                reason,
                wait,
            )
        return wait

    def succeeded(self, kind: str) -> None:
        with self._lock:
            outage = self._outages.pop(kind, None)
        if outage is not None:
            self._log.warning(
                "%s %s answers again after %.1f s and %d failed attempts (first: %s)",
                self._what,
                kind,
                time.monotonic() - outage.started,
                outage.failures,
                outage.reason,
            )

    def _wait(self, failures: int, retry_after: float | None) -> float:
        if retry_after is not None:
            # What the service asked for, plus a little spread so waiters do not return at once.
            return retry_after + random.uniform(0.0, min(1.0, 0.1 * retry_after + 0.1))
        ceiling = min(self._longest, self._first * 2 ** (failures - 1))
        return random.uniform(ceiling / 2, ceiling)
