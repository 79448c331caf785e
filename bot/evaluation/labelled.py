"""Read a labelled JSONL file: one event, its label and its platform per line.

A line that cannot be used is reported with its file:line and a reason, and the rest are
still read: one bad line never hides the others.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import AlertError

TRUE_WORDS = frozenset({"true", "yes", "1", "malicious", "positive"})
FALSE_WORDS = frozenset({"false", "no", "0", "benign", "negative"})


@dataclass(frozen=True)
class FieldNames:
    event: str = "event"
    label: str = "expected_malicious"
    platform: str = "platform"


@dataclass(frozen=True)
class LabelledEvent:
    where: str  # file:line
    event: Mapping[str, Any]
    label: bool
    platform: str


@dataclass
class LabelledFile:
    events: list[LabelledEvent]
    problems: list[str]  # "file:line: reason" for each line left out
    unlabelled: int = 0  # lines whose label is null: read, not scored


def read_labelled(path: Path, names: FieldNames) -> LabelledFile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise AlertError(f"cannot read {path}: {reason}") from exc
    result = LabelledFile([], [])
    for number, line in _lines(text):
        where = f"{path}:{number}"
        try:
            event = _one(line, names, where)
        except ValueError as exc:
            result.problems.append(f"{where}: {exc}")
            continue
        if event is None:
            result.unlabelled += 1
        else:
            result.events.append(event)
    return result


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, line


def _one(line: str, names: FieldNames, where: str) -> LabelledEvent | None:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON at column {exc.colno} ({exc.msg})") from None
    if not isinstance(row, dict):
        raise ValueError(f"a line must be a JSON object, not {type(row).__name__}")
    if names.label not in row:
        raise ValueError(f"no label field {names.label!r}")
    label = _label(row[names.label], names.label)
    if label is None:
        return None
    event = row.get(names.event)
    if not isinstance(event, dict):
        raise ValueError(f"field {names.event!r} must hold the event as a JSON object")
    platform = row.get(names.platform)
    return LabelledEvent(where, event, label, str(platform) if platform else "unknown")


def _label(value: Any, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise ValueError(f"label {name!r} must be true, false or null, not {value!r}")
