"""The SQL of each database for the digest's reader: SQLite (JSON1) and PostgreSQL (json).

Reads go through the driver connection, not a SQLAlchemy session: on SQLite every session
transaction begins IMMEDIATE (bot.db), which would hold the write lock, and so stop audit
appends, for as long as the digest reads. A deferred transaction here is a WAL read snapshot
that writers do not wait for; on PostgreSQL it is REPEATABLE READ, READ ONLY.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from bot.clock import as_utc
from bot.digest.reader import BATCH, AuditReader

_NAMED = re.compile(r"(?<![:\w]):(\w+)")
_SNAPSHOT_ID = re.compile(r"^[0-9A-F]+-[0-9A-F]+(-[0-9A-F]+)?$")


class SqliteReader(AuditReader):
    dialect = "sqlite"

    def begin(self, snapshot: str | None = None) -> None:
        # The pool's connections run with isolation_level None, so this BEGIN is ours:
        # deferred, it takes no lock; the first SELECT fixes the snapshot.
        self._connection.execute("BEGIN")

    def end(self) -> None:
        if self._connection.in_transaction:
            self._connection.execute("ROLLBACK")

    def rows(self, sql: str, params: Mapping[str, Any]) -> Iterator[tuple[Any, ...]]:
        cursor = self._connection.execute(sql, dict(params))
        try:
            while batch := cursor.fetchmany(BATCH):
                yield from batch
        finally:
            cursor.close()

    def ts_param(self, moment: datetime) -> str:
        # Stored times are spelled two ways ('… 12:00:00.000000' and '… 12:00:00+00:00');
        # a bound without the fraction when it is zero sorts right against both.
        value = as_utc(moment)
        spelled = value.strftime("%Y-%m-%d %H:%M:%S")
        return spelled if value.microsecond == 0 else f"{spelled}.{value.microsecond:06d}"

    def at_micros(self) -> str:
        # Whole seconds from the first 19 characters (times are UTC; the date functions would
        # round a fraction to milliseconds), then the six digits after them, absent (read
        # as 0) in the spelling '… 12:00:00+00:00'.
        return "(unixepoch(substr(ts, 1, 19)) * 1000000 + CAST(substr(ts, 21, 6) AS INTEGER))"

    def text(self, path: str) -> str:
        return f"json_extract(data, '$.{path}')"

    def number(self, path: str) -> str:
        return f"(data -> '$.{path}')"

    def json(self, path: str) -> str:
        return f"(data -> '$.{path}')"

    def array_length(self, path: str) -> str:
        return f"json_array_length(data, '$.{path}')"

    def unindexed(self, column: str) -> str:
        return f"+{column}"

    def record(self, fields: Mapping[str, str]) -> tuple[str, dict[str, str]]:
        # SQLite keeps the parse of a row's data for the next JSON function on the same row.
        return "", {
            name: self.text(name) if kind == "text" else self.json(name)
            for name, kind in fields.items()
        }

    def member_integer(self, json_value: str, key: str) -> str:
        return f"json_extract({json_value}, '$.{key}')"

    def contains(self, text: str) -> str:
        return f"instr(data, '{text}') > 0"


class PostgresReader(AuditReader):
    dialect = "postgresql"

    def begin(self, snapshot: str | None = None) -> None:
        self._connection.rollback()
        self._connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        if snapshot is not None:
            if not _SNAPSHOT_ID.match(snapshot):
                raise ValueError(f"not a PostgreSQL snapshot id: {snapshot!r}")
            self._connection.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")

    def export_snapshot(self) -> str | None:
        return str(self.scalar("SELECT pg_export_snapshot()", {}))

    def end(self) -> None:
        self._connection.rollback()

    def rows(self, sql: str, params: Mapping[str, Any]) -> Iterator[tuple[Any, ...]]:
        # A client-side cursor: results are a few narrow columns per row of one kind and
        # week, megabytes at most. A server-side one would cost more than it saves: a cursor
        # query gets no parallel workers and is planned for its first rows.
        with self._connection.cursor() as cursor:
            cursor.execute(_NAMED.sub(r"%(\1)s", sql), dict(params))
            while batch := cursor.fetchmany(BATCH):
                yield from batch

    def ts_param(self, moment: datetime) -> datetime:
        return as_utc(moment)

    def at_micros(self) -> str:
        return "(extract(epoch from ts) * 1000000)::bigint"

    def text(self, path: str) -> str:
        return f"(data::json #>> '{{{_pg_path(path)}}}')"

    def number(self, path: str) -> str:
        return self.text(path)

    def json(self, path: str) -> str:
        return f"((data::json #> '{{{_pg_path(path)}}}')::text)"

    def array_length(self, path: str) -> str:
        return f"json_array_length(data::json #> '{{{_pg_path(path)}}}')"

    def record(self, fields: Mapping[str, str]) -> tuple[str, dict[str, str]]:
        # json_to_record parses each row's data once; every #>> would parse it again.
        columns = ", ".join(f'"{name}" {kind}' for name, kind in fields.items())
        source = f", json_to_record(data::json) AS fields({columns})"
        return source, {name: f'fields."{name}"' for name in fields}

    def member_integer(self, json_value: str, key: str) -> str:
        return f"(({json_value}) ->> '{key}')::bigint"

    def contains(self, text: str) -> str:
        return f"strpos(data, '{text}') > 0"


def _pg_path(path: str) -> str:
    return ",".join(path.split("."))
