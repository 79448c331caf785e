"""One compiled generic mapping, and how it turns a JSON event into an Alert.

Fields are read from a view of the event in which the mapping's `decode_json` paths, when they
hold JSON text, hold the decoded value instead; the Alert keeps the event itself as raw.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, get_args

from bot.alerts.model import Alert, Geo, Identity, IdentityKind, Outcome, Severity
from bot.alerts.sources.fields import dig, no_event_time, parse_time, required_mapping
from bot.alerts.sources.generic.spec import (
    FieldSpec,
    MatchClause,
    Scalar,
    Template,
    first_text,
    first_value,
    looked_in,
    scalar_at,
    to_text,
)
from bot.errors import AlertRejected

DEFAULT_TITLE = Template.parse("{vendor}: {event_type} by {actor}")
TIME_UNITS = {"epoch_s": 1, "epoch_ms": 1e3, "epoch_us": 1e6, "epoch_ns": 1e9}
GEO_TEXT = ("country", "region", "city")
GEO_NUMBERS = ("latitude", "longitude")


@dataclass(frozen=True)
class IdentitySpec:
    kind: FieldSpec = ()
    parts: Mapping[str, FieldSpec] = field(default_factory=dict)  # provider_id, email, arn, name

    def read(self, event: Any) -> Identity | None:
        texts = {name: first_text(spec, event) for name, spec in self.parts.items()}
        if not any(texts.values()):
            return None
        return Identity(kind=_choice(first_text(self.kind, event), IdentityKind), **texts)


@dataclass(frozen=True)
class EventMapping:
    name: str
    vendor: str
    match: MatchClause
    fields: Mapping[str, FieldSpec]  # the scalar Alert fields: event_type, occurred_at, …
    actor: tuple[IdentitySpec, ...] = ()
    target: tuple[IdentitySpec, ...] = ()
    geo: Mapping[str, FieldSpec] = field(default_factory=dict)
    decode_json: tuple[str, ...] = ()
    title: Template = DEFAULT_TITLE
    time_when_missing: str = "reject"  # or "received": the time socbot reads the event

    @property
    def source(self) -> str:
        return f"generic:{self.name}"

    def normalize(self, event: Any) -> Alert:
        raw = required_mapping(event, self.source)
        view = decoded_view(raw, self.decode_json)
        facts = {name: first_text(self.fields.get(name), view) for name in _TEXT_FIELDS}
        alert = Alert(
            source=self.source,
            event_type=self._event_type(view),
            title="-",
            occurred_at=self._time(view),
            actor=_first_identity(self.actor, view),
            target=_first_identity(self.target, view),
            geo=self._geo(view),
            outcome=_choice(first_text(self.fields.get("outcome"), view), Outcome),
            vendor_severity=_choice(first_text(self.fields.get("vendor_severity"), view), Severity),
            raw=dict(raw),
            **facts,
        )
        return alert.model_copy(update={"title": self._title(alert, view)})

    def _event_type(self, view: Any) -> str:
        event_type = first_text(self.fields["event_type"], view)
        if event_type is None:
            where = looked_in(self.fields["event_type"])
            raise AlertRejected(f"no event type (looked in {where})", source=self.source)
        return event_type

    def _time(self, view: Any) -> datetime:
        for alternative in self.fields["occurred_at"]:
            parsed = read_time(alternative.value(view), alternative.time_format)
            if parsed is not None:
                return parsed
        where = looked_in(self.fields["occurred_at"])
        return no_event_time(
            self.source, where, always_on_arrival=self.time_when_missing == "received"
        )

    def _geo(self, view: Any) -> Geo | None:
        values: dict[str, Any] = {name: first_text(self.geo.get(name), view) for name in GEO_TEXT}
        for name in GEO_NUMBERS:
            values[name] = _number(first_value(self.geo.get(name, ()), view))
        return Geo(**values) if any(value is not None for value in values.values()) else None

    def _title(self, alert: Alert, view: Any) -> str:
        def lookup(name: str) -> Scalar | None:
            if name in _ALERT_NAMES:
                return _ALERT_NAMES[name](self, alert)
            return scalar_at(view, name)

        rendered = self.title.render(lookup, missing="?")
        return to_text(rendered) or to_text(f"{self.vendor}: {alert.event_type}") or self.vendor


_TEXT_FIELDS = ("vendor_event_id", "source_ip", "user_agent")
_ALERT_NAMES: dict[str, Any] = {
    "source": lambda mapping, alert: alert.source,
    "vendor": lambda mapping, alert: mapping.vendor,
    "mapping": lambda mapping, alert: mapping.name,
    "event_type": lambda mapping, alert: alert.event_type,
    "actor": lambda mapping, alert: alert.actor.label if alert.actor else None,
    "target": lambda mapping, alert: alert.target.label if alert.target else None,
    "source_ip": lambda mapping, alert: alert.source_ip,
    "user_agent": lambda mapping, alert: alert.user_agent,
    "outcome": lambda mapping, alert: alert.outcome,
    "severity": lambda mapping, alert: alert.vendor_severity,
    "vendor_event_id": lambda mapping, alert: alert.vendor_event_id,
}
TITLE_NAMES = frozenset(_ALERT_NAMES)


def _first_identity(specs: tuple[IdentitySpec, ...], view: Any) -> Identity | None:
    for spec in specs:
        identity = spec.read(view)
        if identity is not None:
            return identity
    return None


def _choice(text: str | None, literal: Any) -> Any:
    """text, lower-cased, when it is one of the Literal's values; else the Literal's default."""
    options = get_args(literal)
    lowered = text.lower() if text else None
    return lowered if lowered in options else "unknown"


def _number(value: Scalar | None) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def read_time(value: Scalar | None, time_format: str) -> datetime | None:
    """value read as time_format (see generic_schema.TIME_FORMATS_DESCRIPTION), in UTC."""
    try:
        if time_format in TIME_UNITS:
            number = _number(value)
            if number is None:
                return None
            return datetime.fromtimestamp(number / TIME_UNITS[time_format], tz=UTC)
        if "%" in time_format:
            text = to_text(value)
            # A format without %z gives a naive time, which a mapping means as UTC (_utc).
            parsed = datetime.strptime(text, time_format) if text else None  # noqa: DTZ007
            return _utc(parsed)
        return _utc(parse_time(value)) if time_format == "auto" or isinstance(value, str) else None
    except (ValueError, OverflowError, OSError):
        return None


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def decoded_view(event: Mapping[str, Any], paths: tuple[str, ...]) -> Mapping[str, Any]:
    """event with each path that holds JSON text holding the decoded value; copies only what
    it changes, so the event itself is left as it came."""
    view: Mapping[str, Any] = event
    for path in paths:
        text = dig(view, path)
        if not isinstance(text, str) or not text.lstrip().startswith(("{", "[")):
            continue
        try:
            decoded = json.loads(text)
        except (ValueError, RecursionError):
            continue
        view = _replaced(view, path.split("."), decoded)
    return view


def _replaced(container: Any, steps: list[str], value: Any) -> Any:
    if not steps:
        return value
    head, rest = steps[0], steps[1:]
    if isinstance(container, Mapping):
        return {**container, head: _replaced(container.get(head), rest, value)}
    if isinstance(container, list) and head.isdigit() and int(head) < len(container):
        index = int(head)
        return [
            *container[:index],
            _replaced(container[index], rest, value),
            *container[index + 1 :],
        ]
    return container
