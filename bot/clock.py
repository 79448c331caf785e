"""Time in one place: timezone-aware UTC, replaceable in tests (one clock for bot/ and tools/)."""

from __future__ import annotations

from tools.shared import as_utc, utcnow

__all__ = ["as_utc", "utcnow"]
