"""Selections in Sigma's style: `path|modifier: value or [values]`, every key must hold.

Modifiers: contains, startswith, endswith, re (search), exists, gt, gte, lt, lte, and all
(every listed value must hold, not any one). Text compares without case; `~` (null) matches
a field that is missing or empty.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.detection.fields import values_at
from bot.errors import SelectionError

TEXT_TESTS: dict[str, Callable[[str, str], bool]] = {
    "equals": lambda actual, wanted: actual == wanted,
    "contains": lambda actual, wanted: wanted in actual,
    "startswith": lambda actual, wanted: actual.startswith(wanted),
    "endswith": lambda actual, wanted: actual.endswith(wanted),
}
NUMBER_TESTS: dict[str, Callable[[float, float], bool]] = {
    "gt": lambda actual, wanted: actual > wanted,
    "gte": lambda actual, wanted: actual >= wanted,
    "lt": lambda actual, wanted: actual < wanted,
    "lte": lambda actual, wanted: actual <= wanted,
}
MODIFIERS = frozenset({*TEXT_TESTS, *NUMBER_TESTS, "re", "exists", "all"}) - {"equals"}


@dataclass(frozen=True)
class FieldTest:
    path: str
    test: str
    wanted: tuple[Any, ...]
    every: bool = False

    def holds(self, alert_data: Mapping[str, Any], raw: Any) -> bool:
        found = [v for v in values_at(alert_data, raw, self.path) if v not in (None, "", [], {})]
        if self.test == "exists":
            return bool(found) == bool(self.wanted[0])
        if not found:
            return any(w is None for w in self.wanted)
        results = (any(self._one(actual, w) for actual in found) for w in self.wanted)
        return all(results) if self.every else any(results)

    def _one(self, actual: Any, wanted: Any) -> bool:
        if wanted is None:
            return False
        if self.test == "re":
            return bool(wanted.search(_text(actual)))
        if self.test in NUMBER_TESTS:
            number = _number(actual)
            return number is not None and NUMBER_TESTS[self.test](number, float(wanted))
        return TEXT_TESTS[self.test](_text(actual), _text(wanted))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).lower()


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Selection:
    tests: tuple[FieldTest, ...]

    def holds(self, alert_data: Mapping[str, Any], raw: Any) -> bool:
        return all(test.holds(alert_data, raw) for test in self.tests)

    @property
    def paths(self) -> list[str]:
        return [test.path for test in self.tests]


def compile_selection(data: Mapping[str, Any]) -> Selection:
    return Selection(tuple(_field_test(str(key), value) for key, value in data.items()))


def _field_test(key: str, value: Any) -> FieldTest:
    path, *modifiers = key.split("|")
    unknown = [m for m in modifiers if m not in MODIFIERS]
    if unknown or not path:
        raise SelectionError(
            f"{key!r}: unknown modifier {unknown[0]!r}; use {', '.join(sorted(MODIFIERS))}"
            if unknown
            else f"{key!r}: a field path is needed before the modifiers"
        )
    every = "all" in modifiers
    tests = [m for m in modifiers if m != "all"] or ["equals"]
    if len(tests) > 1:
        raise SelectionError(f"{key!r}: one test modifier at a time, not {tests}")
    wanted = tuple(value) if isinstance(value, list) else (value,)
    if not wanted:
        raise SelectionError(f"{key!r}: give at least one value")
    return FieldTest(path, tests[0], _prepared(key, tests[0], wanted), every)


def _prepared(key: str, test: str, wanted: Sequence[Any]) -> tuple[Any, ...]:
    if test == "exists":
        if len(wanted) != 1 or not isinstance(wanted[0], bool):
            raise SelectionError(f"{key!r}: exists takes true or false")
        return tuple(wanted)
    if test == "re":
        try:
            return tuple(re.compile(str(w), re.IGNORECASE) for w in wanted)
        except re.error as exc:
            raise SelectionError(f"{key!r}: bad regular expression ({exc})") from exc
    if test in NUMBER_TESTS and any(_number(w) is None for w in wanted):
        raise SelectionError(f"{key!r}: {test} compares numbers; give a number")
    if any(isinstance(w, dict | list) for w in wanted):
        raise SelectionError(f"{key!r}: values are text, numbers, true/false or ~")
    return tuple(wanted)
