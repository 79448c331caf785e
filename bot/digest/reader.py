"""Read-only queries on the audit log for the digest, all in one consistent snapshot.

The digest reads a million rows in seconds by letting the database do the work: rows are
picked by kind and time with the indexes, JSON fields are pulled out in SQL (SQLite's JSON1
functions, PostgreSQL's json operators), and only the few fields each figure needs reach
Python, in batches.

The readers for each database are in bot.digest.sql_dialects; bot.digest.snapshot opens
them on one snapshot.

Row times come out as integer microseconds since the epoch, computed in SQL, so durations
are exact and no timestamp is parsed in Python.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.clock import as_utc

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
BATCH = 5_000


def to_micros(moment: datetime) -> int:
    return (as_utc(moment) - EPOCH) // MICROSECOND


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


class AuditReader:
    """SQL fragments for one dialect, and streamed execution of queries built from them."""

    dialect = ""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def begin(self, snapshot: str | None = None) -> None:
        """Start the read-only transaction; on PostgreSQL, in an exported snapshot."""
        raise NotImplementedError

    def fix_snapshot(self) -> None:
        """Read something, so the snapshot is taken now."""
        self.scalar("SELECT seq FROM audit_event ORDER BY seq DESC LIMIT 1", {})

    def export_snapshot(self) -> str | None:
        """An id other readers can begin in (PostgreSQL); None where there is none."""
        return None

    def end(self) -> None:
        raise NotImplementedError

    def rows(self, sql: str, params: Mapping[str, Any]) -> Iterator[tuple[Any, ...]]:
        raise NotImplementedError

    def ts_param(self, moment: datetime) -> Any:
        raise NotImplementedError

    def at_micros(self) -> str:
        """The row's time as integer microseconds since the epoch, computed in SQL."""
        raise NotImplementedError

    def text(self, path: str) -> str:
        """A JSON field as SQL text (strings unquoted), NULL when absent."""
        raise NotImplementedError

    def number(self, path: str) -> str:
        """A JSON number as its literal text, for exact parsing in Python."""
        raise NotImplementedError

    def json(self, path: str) -> str:
        """A JSON field (an array, usually) as JSON text."""
        raise NotImplementedError

    def array_length(self, path: str) -> str:
        raise NotImplementedError

    def record(self, fields: Mapping[str, str]) -> tuple[str, dict[str, str]]:
        """Read several top-level JSON fields of each row: a FROM-clause addition, and an SQL
        expression per field. `fields` maps names to "text" or "json" (JSON text)."""
        raise NotImplementedError

    def member_integer(self, json_value: str, key: str) -> str:
        """An integer member of a JSON object given as an SQL expression."""
        raise NotImplementedError

    def contains(self, text: str) -> str:
        """The data text contains `text` (a constant of this package, not input)."""
        raise NotImplementedError

    def unindexed(self, column: str) -> str:
        """The column in a form the planner will not pick an index for (SQLite's unary +):
        where another condition is far more selective but the planner cannot know it."""
        return column

    def scalar(self, sql: str, params: Mapping[str, Any]) -> Any:
        for row in self.rows(sql, params):
            return row[0]
        return None
