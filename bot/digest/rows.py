"""The rows behind the alert, action and risk figures, read in one pass per window.

One query reads every row of the story kinds (alert.received, triage.result, triage.posted,
analyst.feedback, human.action, action.requested, action.approved, action.executed) from
the window's start to its end plus the containment SLA, because the critical-risk figure
looks that far ahead for containment. Reading them together, not kind by kind, visits each
table page once: rows of one alert's story sit next to each other. Each row brings only the
JSON fields its kind carries, pulled out in SQL. Figures about the window itself keep the
rows before its end (`in_window`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, NamedTuple

from bot.audit.event import EventKind
from bot.digest.queries import Span, json_list
from bot.digest.reader import AuditReader, to_micros


class Event(NamedTuple):
    """One story row: where and when, and the JSON fields its kind carries. Fields are
    strings as written; a field the row lacks (the contract makes them required) is None."""

    kind: str
    at: int  # µs since the epoch
    task_id: Any  # triage.result and action.executed only
    tool: Any  # action.executed only
    actor: Any  # analyst.feedback only
    alert_id: Any
    vendor_severity: Any
    alert_ids: Any  # JSON text of a list
    verdict: Any
    severity: Any
    group_id: Any
    rating: Any
    request_id: Any
    requested_in: Any

    def ids(self) -> list[str]:
        return json_list(self.alert_ids)


# The kinds that carry each JSON field of Event; alert_ids is a list, the rest strings.
CARRIED_BY: dict[str, tuple[str, ...]] = {
    "alert_id": (EventKind.ALERT_RECEIVED,),
    "vendor_severity": (EventKind.ALERT_RECEIVED,),
    "alert_ids": (EventKind.TRIAGE_RESULT, EventKind.TRIAGE_POSTED, EventKind.HUMAN_ACTION),
    "verdict": (EventKind.TRIAGE_RESULT,),
    "severity": (EventKind.TRIAGE_RESULT,),
    "group_id": (EventKind.ANALYST_FEEDBACK,),
    "rating": (EventKind.ANALYST_FEEDBACK,),
    "request_id": (
        EventKind.ACTION_REQUESTED,
        EventKind.ACTION_APPROVED,
        EventKind.ACTION_EXECUTED,
    ),
    "requested_in": (EventKind.ACTION_EXECUTED,),
}
JSON_FIELDS = Event._fields[5:]
TASK_KINDS = (EventKind.TRIAGE_RESULT, EventKind.ACTION_EXECUTED)
STORY_KINDS = tuple(sorted({kind for kinds in CARRIED_BY.values() for kind in kinds}))


@dataclass
class WindowRows:
    span: Span
    end: int  # the window's end, µs
    by_kind: dict[str, list[Event]] = field(default_factory=dict)

    def of(self, kind: str) -> list[Event]:
        """Rows of the kind through the window's end plus the SLA, in seq order."""
        return self.by_kind.get(kind, [])

    def in_window(self, kind: str) -> list[Event]:
        return [event for event in self.of(kind) if event.at < self.end]


def load_rows(reader: AuditReader, span: Span, sla: timedelta) -> WindowRows:
    rows = WindowRows(span, to_micros(span.end))
    for event in _story(reader, Span(span.start, span.end + sla)):
        rows.by_kind.setdefault(event.kind, []).append(event)
    return rows


def _story(reader: AuditReader, reach: Span) -> Iterator[Event]:
    # Columns only for the kinds that use them: fewer strings to build and keep per row.
    task = f"CASE WHEN kind IN ({_literals(TASK_KINDS)}) THEN task_id END"
    tool = f"CASE WHEN kind = '{EventKind.ACTION_EXECUTED}' THEN tool END"
    actor = f"CASE WHEN kind = '{EventKind.ANALYST_FEEDBACK}' THEN actor END"
    sql = (
        f"SELECT kind, {reader.at_micros()}, {task}, {tool}, {actor}, {_field_columns(reader)} "
        f"FROM audit_event WHERE kind IN ({_literals(STORY_KINDS)}) "
        "AND ts >= :start AND ts < :end ORDER BY seq"
    )
    params = {"start": reader.ts_param(reach.start), "end": reader.ts_param(reach.end)}
    # The columns are Event's fields in order: each row becomes one without copying.
    return map(Event._make, reader.rows(sql, params))


def _field_columns(reader: AuditReader) -> str:
    """Each field only for the kinds that carry it: the JSON is not searched in vain."""
    columns = []
    for name in JSON_FIELDS:
        value = reader.json(name) if name == "alert_ids" else reader.text(name)
        columns.append(f"CASE WHEN kind IN ({_literals(CARRIED_BY[name])}) THEN {value} END")
    return ", ".join(columns)


def _literals(values: Iterable[str]) -> str:
    """Event kinds as SQL string literals; they are this module's constants, not input."""
    return ", ".join(f"'{value}'" for value in values)


def first_request_times(events: Iterable[Event]) -> dict[str, int]:
    """request id → time of the first event about it."""
    first: dict[str, int] = {}
    for event in events:
        first.setdefault(event.request_id, event.at)
    return first
