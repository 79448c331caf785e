"""Audit events out of the database as JSON Lines or CSV, streamed, optionally filtered."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from bot.audit.event import AUDIT_TABLE, ROW_COLUMNS, iter_rows, row_dict, ts_text
from bot.canonical import canonical_json
from bot.clock import as_utc, utcnow
from bot.errors import ConfigError
from bot.redaction import default_redactor

ExportFormat = Literal["jsonl", "csv"]
EXPORT_FORMATS: tuple[str, ...] = ("jsonl", "csv")

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """'7d', '24h', '30m' (before now), or an ISO date/datetime; naive times are UTC."""
    duration = _DURATION.match(text)
    if duration is not None:
        amount, unit = int(duration.group(1)), duration.group(2).lower()
        return (now if now is not None else utcnow()) - timedelta(**{_UNITS[unit]: amount})
    try:
        return as_utc(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise ConfigError(
            f"cannot read {text!r} as a time: use a duration such as 7d, 24h or 30m, or an "
            "ISO date or datetime such as 2024-05-01 or 2024-05-01T12:00:00Z"
        ) from None


def export_events(
    engine: Engine,
    *,
    fmt: ExportFormat = "jsonl",
    task_id: str | None = None,
    since: datetime | None = None,
    batch_size: int = 5_000,
) -> Iterator[str]:
    """Lines without their newline, oldest first. CSV starts with a header line."""
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(
            f"unknown export format {fmt!r}: choose one of {', '.join(EXPORT_FORMATS)}"
        )
    rows = (row_dict(row) for row in iter_rows(engine, where=_filters(task_id, since)))
    lines = _jsonl_lines(rows) if fmt == "jsonl" else _csv_lines(rows)
    # Rows were redacted when written; today's rules may know a secret those did not.
    return map(default_redactor().redact_text, lines)


def _filters(task_id: str | None, since: datetime | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if task_id is not None:
        where.append(AUDIT_TABLE.c.task_id == task_id)
    if since is not None:
        where.append(AUDIT_TABLE.c.ts >= as_utc(since))
    return where


def _jsonl_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    # data goes out as an object; it was stored canonical, so re-hashing an export still works.
    for values in rows:
        yield canonical_json(
            {**values, "ts": ts_text(values["ts"]), "data": json.loads(values["data"])}
        )


def _csv_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="")
    for record in _csv_records(rows):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(record)
        yield buffer.getvalue()


def _csv_records(rows: Iterable[dict[str, Any]]) -> Iterator[list[Any]]:
    yield list(ROW_COLUMNS)
    for values in rows:
        yield [ts_text(values["ts"]) if name == "ts" else values[name] for name in ROW_COLUMNS]
