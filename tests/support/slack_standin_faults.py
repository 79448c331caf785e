"""Fault windows for the Slack stand-in: for a while, every call of a method fails the way
Slack fails it.

- `outage(method, seconds, status=500)`: HTTP 5xx with Slack's error body.
- `rate_limit_for(method, seconds)`: HTTP 429 whose Retry-After is the time left in the
  window, as Slack's per-method limits answer every call until the window ends.
- `end_faults()`: every window closes now.

method None means every method.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FaultWindow:
    method: str | None
    until: float  # time.monotonic()
    status: int

    def covers(self, method: str, now: float) -> bool:
        return now < self.until and self.method in (None, method)


class FaultWindows:
    def __init__(self) -> None:
        self._windows: list[FaultWindow] = []
        self._windows_lock = threading.Lock()

    def outage(self, method: str | None, seconds: float, status: int = 500) -> None:
        self._add_window(FaultWindow(method, time.monotonic() + seconds, status))

    def rate_limit_for(self, method: str | None, seconds: float) -> None:
        self._add_window(FaultWindow(method, time.monotonic() + seconds, 429))

    def end_faults(self) -> None:
        """Slack answers normally again from now on."""
        with self._windows_lock:
            self._windows.clear()

    def _add_window(self, window: FaultWindow) -> None:
        with self._windows_lock:
            self._windows.append(window)

    def window_answer(self, method: str) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        """(status, body, headers) when a window covers method now; else None."""
        now = time.monotonic()
        with self._windows_lock:
            self._windows = [w for w in self._windows if w.until > now]
            window = next((w for w in self._windows if w.covers(method, now)), None)
        if window is None:
            return None
        if window.status == 429:
            left = str(max(1, math.ceil(window.until - now)))
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": left}
        return window.status, {"ok": False, "error": "internal_error"}, {}
