"""A hand-driven clock for the digest tests: every module's utcnow reads it.

Modules import utcnow by name (`from bot.clock import utcnow`), so the fake replaces that name
in every loaded bot.* and tools.* module that holds the real one, and in bot.clock itself for
modules imported later. Each reading advances it by `tick`, so rows written one after another
get distinct, increasing times, as they would on a real clock.
"""

from __future__ import annotations

import sys
import threading
from datetime import datetime, timedelta

import pytest

import bot.clock


class FakeClock:
    def __init__(self, start: datetime, tick: timedelta = timedelta(milliseconds=3)) -> None:
        self._now = start
        self._tick = tick
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            value = self._now
            self._now += self._tick
            return value

    def set(self, moment: datetime) -> None:
        with self._lock:
            assert moment >= self._now, f"the clock does not go back: {moment} < {self._now}"
            self._now = moment

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now

    @property
    def now(self) -> datetime:
        return self._now


def install(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    real = bot.clock.utcnow
    for name, module in list(sys.modules.items()):
        if name == "bot.clock" or not name.startswith(("bot.", "tools.")):
            continue
        if getattr(module, "utcnow", None) is real:
            monkeypatch.setattr(module, "utcnow", clock)
    monkeypatch.setattr(bot.clock, "utcnow", clock)
