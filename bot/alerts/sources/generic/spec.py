"""The compiled pieces of a generic mapping and how each reads an event: value specs (path,
template or constant, then a pattern filter and value maps), title templates and match clauses.

Every reader here takes arbitrary JSON and returns None for anything of the wrong shape, so a
mapping never fails on an odd event; only the mapping's required fields can reject one.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.alerts.model import MAX_TEXT
from bot.alerts.sources.fields import dig

Scalar = str | int | float | bool
Lookup = Callable[[str], Scalar | None]


def to_text(value: Any) -> str | None:
    """A scalar as trimmed, bounded text; None for empty text, containers and None."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        try:
            value = str(value)
        except ValueError:  # an integer too long to print
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"


def scalar_at(event: Any, path: str) -> Scalar | None:
    """The non-empty scalar at path, or None (missing, empty text, a list or a mapping)."""
    value = dig(event, path)
    if isinstance(value, str):
        return value if value.strip() else None
    return value if isinstance(value, int | float) else None


@dataclass(frozen=True)
class Template:
    """'{a.b} text {c}': literal text and placeholders, read with a lookup per render."""

    parts: tuple[tuple[str, str | None], ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        """ValueError when braces do not pair up or a placeholder is empty."""
        parts: list[tuple[str, str | None]] = []
        for literal, name, _spec, _conversion in string.Formatter().parse(text):
            if name is not None and not name.strip():
                raise ValueError("a placeholder {} needs a name, such as {user.email}")
            parts.append((literal, name.strip() if name is not None else None))
        return cls(tuple(parts))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for _literal, name in self.parts if name is not None)

    def render(self, lookup: Lookup, missing: str | None = None) -> str | None:
        """The text, or None when a placeholder has no value and missing is None."""
        out: list[str] = []
        for literal, name in self.parts:
            out.append(literal)
            if name is None:
                continue
            value = to_text(lookup(name))
            if value is None and missing is None:
                return None
            out.append(value if value is not None else str(missing))
        return "".join(out)


@dataclass(frozen=True)
class ValueSpec:
    """One way to get a value: the first path holding one, else a template, else a constant;
    then kept only if it matches `pattern`, then translated by `exact` or `regexes`."""

    paths: tuple[str, ...] = ()
    template: Template | None = None
    const: Scalar | None = None
    pattern: re.Pattern[str] | None = None
    exact: Mapping[str, Scalar] = field(default_factory=dict)
    regexes: tuple[tuple[re.Pattern[str], Scalar], ...] = ()
    keep_unmapped: bool = False
    time_format: str = "auto"

    def value(self, event: Any) -> Scalar | None:
        found = self._source(event)
        if found is None:
            return None
        text = to_text(found)
        if text is None or (self.pattern is not None and not self.pattern.search(text)):
            return None
        if not (self.exact or self.regexes):
            return found
        return self._translate(text, found)

    def _source(self, event: Any) -> Scalar | None:
        for path in self.paths:
            found = scalar_at(event, path)
            if found is not None:
                return found
        if self.template is not None:
            return self.template.render(lambda name: scalar_at(event, name))
        return self.const

    def _translate(self, text: str, found: Scalar) -> Scalar | None:
        if text in self.exact:
            return self.exact[text]
        for regex, mapped in self.regexes:
            if regex.search(text):
                return mapped
        return found if self.keep_unmapped else None


FieldSpec = tuple[ValueSpec, ...]


def first_value(spec: FieldSpec, event: Any) -> Scalar | None:
    """The first value any alternative of spec yields."""
    for alternative in spec:
        found = alternative.value(event)
        if found is not None:
            return found
    return None


def first_text(spec: FieldSpec | None, event: Any) -> str | None:
    return to_text(first_value(spec, event)) if spec else None


def looked_in(spec: FieldSpec) -> str:
    """Where a field spec looks, for a rejection reason."""
    places = [path for alternative in spec for path in alternative.paths]
    return ", ".join(places) or "its template or constant"


@dataclass(frozen=True)
class MatchClause:
    """All of: every `require` path holds a value, every `equals` path holds one of its
    values, every `regex` path matches, one of `any` matches (when given), none of `none`."""

    require: tuple[str, ...] = ()
    equals: Mapping[str, frozenset[str]] = field(default_factory=dict)
    regex: Mapping[str, re.Pattern[str]] = field(default_factory=dict)
    any_of: tuple[MatchClause, ...] = ()
    none_of: tuple[MatchClause, ...] = ()

    def matches(self, event: Any) -> bool:
        return (
            all(_present(dig(event, path)) for path in self.require)
            and all(to_text(scalar_at(event, p)) in allowed for p, allowed in self.equals.items())
            and all(_searches(regex, scalar_at(event, p)) for p, regex in self.regex.items())
            and (not self.any_of or any(clause.matches(event) for clause in self.any_of))
            and not any(clause.matches(event) for clause in self.none_of)
        )


def _present(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None


def _searches(regex: re.Pattern[str], value: Scalar | None) -> bool:
    text = to_text(value)
    return text is not None and regex.search(text) is not None
