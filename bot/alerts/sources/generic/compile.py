"""Turn one schema-valid mapping entry into an EventMapping, refusing what a schema cannot
see: regexes that do not compile, templates that do not parse, a field with no (or several)
value sources, a time format on a field that is not a time, a mapped value the Alert rejects."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.alerts.sources.generic.mapping import DEFAULT_TITLE, TIME_UNITS, EventMapping, IdentitySpec
from bot.alerts.sources.generic.problems import Path, where
from bot.alerts.sources.generic.schema import IDENTITY_KINDS, OUTCOMES, SEVERITIES
from bot.alerts.sources.generic.spec import FieldSpec, MatchClause, Template, ValueSpec, to_text
from bot.errors import MappingProblem

SOURCES_OF_A_VALUE = ("path", "template", "const")
ALLOWED_VALUES: dict[str, list[str]] = {
    "outcome": OUTCOMES,
    "vendor_severity": SEVERITIES,
    "kind": IDENTITY_KINDS,
}
IDENTITY_PARTS = ("provider_id", "email", "arn", "name")


def compile_mapping(entry: Mapping[str, Any], at: Path) -> EventMapping:
    fields = entry["fields"]
    return EventMapping(
        name=entry["name"],
        vendor=entry.get("vendor", entry["name"]),
        match=compile_match(entry["match"], (*at, "match")),
        fields={
            name: compile_field(spec, (*at, "fields", name), name)
            for name, spec in fields.items()
            if name not in ("actor", "target", "geo")
        },
        actor=_identities(fields.get("actor"), (*at, "fields", "actor")),
        target=_identities(fields.get("target"), (*at, "fields", "target")),
        geo={
            name: compile_field(spec, (*at, "fields", "geo", name), name)
            for name, spec in fields.get("geo", {}).items()
        },
        decode_json=tuple(entry.get("decode_json", ())),
        title=_template(entry["title"], (*at, "title")) if "title" in entry else DEFAULT_TITLE,
        time_when_missing=entry.get("missing_time", "reject"),
    )


def compile_field(spec: Any, at: Path, field: str) -> FieldSpec:
    """A dotted path, a value mapping, or a list of either (alternatives, first wins)."""
    if isinstance(spec, str):
        return (ValueSpec(paths=(spec,)),)
    if isinstance(spec, dict):
        return (compile_value(spec, at, field),)
    return tuple(
        ValueSpec(paths=(item,)) if isinstance(item, str) else compile_value(item, (*at, i), field)
        for i, item in enumerate(spec)
    )


def compile_value(spec: Mapping[str, Any], at: Path, field: str) -> ValueSpec:
    given = [key for key in SOURCES_OF_A_VALUE if key in spec]
    if len(given) != 1:
        found = f"it has {' and '.join(given)}" if given else "it has none"
        raise MappingProblem(at, f"{where(at)} needs exactly one of path, template, const; {found}")
    paths = spec.get("path", ())
    _check_allowed(field, _mapped_values(spec), at)
    return ValueSpec(
        paths=(paths,) if isinstance(paths, str) else tuple(paths),
        template=_template(spec["template"], (*at, "template")) if "template" in spec else None,
        const=spec.get("const"),
        pattern=_regex(spec["pattern"], (*at, "pattern")) if "pattern" in spec else None,
        exact={str(key): value for key, value in spec.get("map", {}).items()},
        regexes=tuple(
            (_regex(key, (*at, "map_regex", key)), value)
            for key, value in spec.get("map_regex", {}).items()
        ),
        keep_unmapped=bool(spec.get("keep_unmapped", False)),
        time_format=_time_format(spec, at, field),
    )


def _mapped_values(spec: Mapping[str, Any]) -> Iterable[tuple[Path, Any]]:
    if "const" in spec:
        yield ("const",), spec["const"]
    for table in ("map", "map_regex"):
        for key, value in spec.get(table, {}).items():
            yield (table, key), value


def _check_allowed(field: str, values: Iterable[tuple[Path, Any]], at: Path) -> None:
    allowed = ALLOWED_VALUES.get(field)
    if allowed is None:
        return
    for inner, value in values:
        if str(value).lower() not in allowed:
            node = (*at, *inner)
            reason = f"{where(node)} is {value!r}; {field} must be one of: {', '.join(allowed)}"
            raise MappingProblem(node, reason)


def _time_format(spec: Mapping[str, Any], at: Path, field: str) -> str:
    time_format = str(spec.get("format", "auto"))
    if "format" in spec and field != "occurred_at":
        raise MappingProblem((*at, "format"), f"{where(at)}: format is only read for occurred_at")
    known = time_format in ("auto", "iso8601") or time_format in TIME_UNITS
    if not known and "%" not in time_format:
        reason = (
            f"{where((*at, 'format'))} is {time_format!r}; use auto, iso8601, epoch_s, "
            "epoch_ms, epoch_us, epoch_ns, or a strptime pattern with % codes"
        )
        raise MappingProblem((*at, "format"), reason)
    return time_format


def _identities(spec: Any, at: Path) -> tuple[IdentitySpec, ...]:
    if spec is None:
        return ()
    if isinstance(spec, dict):
        return (_identity(spec, at),)
    return tuple(_identity(item, (*at, i)) for i, item in enumerate(spec))


def _identity(spec: Mapping[str, Any], at: Path) -> IdentitySpec:
    kind = spec.get("kind")
    if isinstance(kind, str):
        kind_spec: FieldSpec = (ValueSpec(const=kind),)
    else:
        kind_spec = compile_field(kind, (*at, "kind"), "kind") if kind is not None else ()
    parts = {
        name: compile_field(spec[name], (*at, name), name)
        for name in IDENTITY_PARTS
        if name in spec
    }
    if not parts:
        reason = f"{where(at)} needs at least one of {', '.join(IDENTITY_PARTS)}"
        raise MappingProblem(at, reason)
    return IdentitySpec(kind=kind_spec, parts=parts)


def compile_match(spec: Mapping[str, Any], at: Path) -> MatchClause:
    return MatchClause(
        require=tuple(spec.get("require", ())),
        equals={
            path: frozenset(_texts(values if isinstance(values, list) else [values]))
            for path, values in spec.get("equals", {}).items()
        },
        regex={
            path: _regex(pattern, (*at, "regex", path))
            for path, pattern in spec.get("regex", {}).items()
        },
        any_of=tuple(compile_match(c, (*at, "any", i)) for i, c in enumerate(spec.get("any", ()))),
        none_of=tuple(
            compile_match(c, (*at, "none", i)) for i, c in enumerate(spec.get("none", ()))
        ),
    )


def _texts(values: Iterable[Any]) -> Iterable[str]:
    return (text for text in (to_text(value) for value in values) if text is not None)


def _regex(pattern: str, at: Path) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as error:
        raise MappingProblem(
            at, f"{where(at)} is not a valid regular expression: {error}"
        ) from error


def _template(text: str, at: Path) -> Template:
    try:
        template = Template.parse(text)
    except ValueError as error:
        raise MappingProblem(at, f"{where(at)} is not a valid template: {error}") from error
    return template
