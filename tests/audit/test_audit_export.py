"""Export (jsonl, csv, filters) and the --since parser."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from bot.audit.event import ROW_COLUMNS, event_hash
from bot.audit.log import AuditLog, EventKind, export_events, parse_since
from bot.canonical import canonical_json
from bot.errors import ConfigError
from bot.redaction import Redactor

NOW = datetime(2024, 5, 10, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def history(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """Six events: three ten days ago, three now; tasks a and b alternate."""
    log = AuditLog(engine, Redactor())
    for day_offset in (10, 0):
        monkeypatch.setattr(
            "bot.audit.log.utcnow", lambda offset=day_offset: NOW - timedelta(offset)
        )
        for index in range(3):
            log.record(
                EventKind.TOOL_CALL,
                task_id="task-a" if index % 2 == 0 else "task-b",
                tool="get_identity",
                data={"day_offset": day_offset, "index": index, "text": 'comma, "quote"'},
            )
    return engine


def test_jsonl_lines_carry_every_column_and_still_hash(history: Engine) -> None:
    lines = list(export_events(history, fmt="jsonl"))
    events = [json.loads(line) for line in lines]
    assert [event["seq"] for event in events] == [1, 2, 3, 4, 5, 6]
    assert set(events[0]) == set(ROW_COLUMNS)
    assert events[0]["ts"] == "2024-04-30T12:00:00.000000Z"
    assert events[0]["data"]["text"] == 'comma, "quote"'
    for event in events:
        fields = {
            **event,
            "ts": datetime.fromisoformat(event["ts"]),
            "data": canonical_json(event["data"]),
        }
        assert event_hash(fields) == event["hash"]


def test_csv_has_a_header_and_one_row_per_event(history: Engine) -> None:
    lines = list(export_events(history, fmt="csv"))
    rows = list(csv.reader(lines))
    assert rows[0] == list(ROW_COLUMNS)
    assert len(rows) == 7
    record = dict(zip(rows[0], rows[4], strict=True))
    assert record["seq"] == "4" and record["task_id"] == "task-a"
    assert json.loads(record["data"])["text"] == 'comma, "quote"'
    assert record["ts"] == "2024-05-10T12:00:00.000000Z"


def test_filter_by_task(history: Engine) -> None:
    events = [json.loads(line) for line in export_events(history, fmt="jsonl", task_id="task-b")]
    assert [event["seq"] for event in events] == [2, 5]
    rows = list(csv.reader(export_events(history, fmt="csv", task_id="task-b")))
    assert [row[0] for row in rows[1:]] == ["2", "5"]


def test_filter_since(history: Engine) -> None:
    since = parse_since("7d", now=NOW)
    events = [json.loads(line) for line in export_events(history, fmt="jsonl", since=since)]
    assert [event["seq"] for event in events] == [4, 5, 6]
    both = export_events(history, fmt="jsonl", since=since, task_id="task-a")
    assert [json.loads(line)["seq"] for line in both] == [4, 6]


def test_filter_since_accepts_other_timezones(history: Engine) -> None:
    since = (NOW - timedelta(days=1)).astimezone(ZoneInfo("Asia/Tokyo"))
    assert len(list(export_events(history, fmt="jsonl", since=since))) == 3


def test_empty_export_of_csv_is_the_header(engine: Engine) -> None:
    assert list(export_events(engine, fmt="csv")) == [",".join(ROW_COLUMNS)]
    assert list(export_events(engine, fmt="jsonl")) == []


def test_unknown_format_is_refused(engine: Engine) -> None:
    with pytest.raises(ConfigError, match="jsonl, csv"):
        export_events(engine, fmt="xml")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", NOW - timedelta(days=7)),
        ("24h", NOW - timedelta(hours=24)),
        ("30m", NOW - timedelta(minutes=30)),
        (" 2H ", NOW - timedelta(hours=2)),
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01T08:30:00", datetime(2024, 5, 1, 8, 30, tzinfo=UTC)),
        ("2024-05-01T08:30:00Z", datetime(2024, 5, 1, 8, 30, tzinfo=UTC)),
        ("2024-05-01T10:30:00+02:00", datetime(2024, 5, 1, 8, 30, tzinfo=UTC)),
    ],
)
def test_parse_since(text: str, expected: datetime) -> None:
    parsed = parse_since(text, now=NOW)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


def test_parse_since_defaults_to_now() -> None:
    before = datetime.now(UTC)
    parsed = parse_since("1h")
    assert before - timedelta(hours=1, seconds=5) < parsed <= datetime.now(UTC) - timedelta(hours=1)


@pytest.mark.parametrize("text", ["", "yesterday", "7", "7 days", "-3d", "2024-13-01", "3y"])
def test_parse_since_refuses_anything_else(text: str) -> None:
    with pytest.raises(ConfigError, match="7d, 24h or 30m"):
        parse_since(text, now=NOW)
