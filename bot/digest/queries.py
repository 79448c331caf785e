"""Counting queries over a span of time: rows per kind, and rows per kind and key.

A span is [start, end) in UTC. Every query names its kinds and its span, so it runs on the
(kind, ts) index; JSON fields come out in SQL through the reader's fragments.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.audit.event import EventKind
from bot.digest.reader import AuditReader

UNKNOWN_KEY = "(not given)"
_ONE_PLAIN_ID = re.compile(r'^\["[^"\\]*"\]$')


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime


def count_kinds(reader: AuditReader, span: Span) -> Counter[str]:
    """How many rows of each kind the span holds. Naming every kind lets the count run on the
    (kind, ts) index alone; the log stores no other kinds (AuditLog.record checks)."""
    kinds = {f"k{i}": str(kind) for i, kind in enumerate(EventKind)}
    names = ", ".join(":" + name for name in kinds)
    sql = (
        f"SELECT kind, count(*) FROM audit_event WHERE kind IN ({names}) "
        "AND ts >= :start AND ts < :end GROUP BY kind"
    )
    params = {**kinds, "start": reader.ts_param(span.start), "end": reader.ts_param(span.end)}
    return Counter({str(kind): int(n) for kind, n in reader.rows(sql, params)})


@dataclass(frozen=True)
class Keyed:
    """Rows of one kind with one key value: how many, and for model.output the token sums."""

    count: int
    prompt_tokens: int = 0
    completion_tokens: int = 0


# The kinds counted by a key, and the JSON field that is the key.
KEYS = {
    EventKind.MODEL_OUTPUT: "model",
    EventKind.POLICY_DECISION: "rule",  # denials only
    EventKind.LIMIT_HIT: "limit",
    EventKind.ALERT_STORM: "group_id",
    EventKind.APPROVAL_REJECTED: "request_id",
}


USAGE = ("prompt_tokens", "completion_tokens")
# A policy.decision's data is canonical JSON, so a denial spells this exactly; rows without it
# are skipped before their JSON is read. The JSON test after it stays the one that decides.
DENY_MARK = '"outcome":"deny"'


def keyed_counts(reader: AuditReader, span: Span) -> dict[str, dict[str, Keyed]]:
    """kind → key → Keyed, for the kinds in KEYS, in one grouped query over the span."""
    fields = {name: "text" for name in (*KEYS.values(), "outcome")} | {"usage": "json"}
    source, field = reader.record(fields)
    key = " ".join(f"WHEN '{kind}' THEN {field[name]}" for kind, name in KEYS.items())
    model = f"kind = '{EventKind.MODEL_OUTPUT}'"
    tokens = [reader.member_integer(field["usage"], name) for name in USAGE]
    kinds = ", ".join(f"'{kind}'" for kind in KEYS)
    sql = (
        f"SELECT kind, CASE kind {key} END, count(*), "
        f"sum(CASE WHEN {model} THEN {tokens[0]} END), "
        f"sum(CASE WHEN {model} THEN {tokens[1]} END) "
        f"FROM audit_event{source} WHERE kind IN ({kinds}) AND ts >= :start AND ts < :end "
        f"AND (kind <> '{EventKind.POLICY_DECISION}' OR "
        f"({reader.contains(DENY_MARK)} AND {field['outcome']} = 'deny')) "
        "GROUP BY 1, 2"
    )
    params = {"start": reader.ts_param(span.start), "end": reader.ts_param(span.end)}
    found: dict[str, dict[str, Keyed]] = {str(kind): {} for kind in KEYS}
    for kind, value, n, prompt, completion in reader.rows(sql, params):
        name = UNKNOWN_KEY if value is None else str(value)
        found[str(kind)][name] = Keyed(int(n), int(prompt or 0), int(completion or 0))
    return found


def json_list(value: Any) -> list[str]:
    """A JSON array of ids (as SQL hands it back) as a list of strings; anything else → []."""
    if value is None:
        return []
    if isinstance(value, str) and _ONE_PLAIN_ID.match(value):
        return [value[2:-2]]  # the usual case, ["alr_…"], without a JSON parse
    parsed = json.loads(value) if isinstance(value, str) else value
    return [str(item) for item in parsed] if isinstance(parsed, list) else []


def json_number(value: Any) -> float | None:
    """A JSON number's literal text (or a number) as a float; null or absent → None."""
    if value is None or value == "null":
        return None
    return float(value)
