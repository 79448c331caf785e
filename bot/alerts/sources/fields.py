"""Small readers every normalizer shares: dotted lookups (exact, or forgiving letter case for
keys a log pipeline has re-spelled), typed text and numbers, and event times."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.errors import AlertRejected, MissingEventTime

PLACEHOLDERS = frozenset({"", "unknown", "null", "none", "n/a", "-", "not available"})
MAX_JSON_TEXT = 1_000_000  # nested JSON held as text (SIEM exports) is decoded up to this size


@dataclass
class ArrivalTime:
    """The time to use for an event that carries none, and whether a normalizer used it."""

    at: datetime
    allowed: bool = True  # False: refuse an event without a time (unless its mapping says not)
    used: bool = False


_arrival: ContextVar[ArrivalTime | None] = ContextVar("arrival_time", default=None)


@contextmanager
def arrival_time(at: datetime, *, allowed: bool = True) -> Iterator[ArrivalTime]:
    """Within this block, an event without a readable time is timed `at` instead of refused
    (when allowed); afterwards `.used` tells whether that happened."""
    arrival = ArrivalTime(at, allowed)
    token = _arrival.set(arrival)
    try:
        yield arrival
    finally:
        _arrival.reset(token)


def no_event_time(source: str, looked_in: str, *, always_on_arrival: bool = False) -> datetime:
    """What a normalizer returns when it finds no time: the arrival time when the caller allows
    it (normalize_event marks the Alert time_estimated), else MissingEventTime."""
    arrival = _arrival.get() or ArrivalTime(datetime.now(UTC), allowed=False)
    if not (arrival.allowed or always_on_arrival):
        raise MissingEventTime(f"no readable event time (looked in {looked_in})", source=source)
    arrival.used = True
    return arrival.at


def dig(event: Any, path: str) -> Any:
    """event["a"]["b"][0]… for "a.b.0"; None when any step is missing or of the wrong kind."""
    return _walk(event, path, _exact_key)


def _exact_key(mapping: Any, key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, Mapping) else None


def look(event: Any, path: str) -> Any:
    """Dotted lookup like dig, but each key also matches in another letter case."""
    return _walk(event, path, get)


def _walk(event: Any, path: str, step_into: Callable[[Any, str], Any]) -> Any:
    value = event
    for step in path.split("."):
        value = nested_json(value)
        if isinstance(value, list) and step.isdigit():
            value = value[int(step)] if int(step) < len(value) else None
        else:
            value = step_into(value, step)
        if value is None:
            return None
    return value


def get(mapping: Any, key: str) -> Any:
    """mapping[key], or the value of the one key equal to it ignoring case; None otherwise."""
    if not isinstance(mapping, Mapping):
        return None
    if key in mapping:
        return mapping[key]
    wanted = key.lower()
    for name, value in mapping.items():
        if isinstance(name, str) and name.lower() == wanted:
            return value
    return None


def nested_json(value: Any) -> Any:
    """A string holding a JSON object or array, decoded: SIEM exports (Log Analytics, Splunk)
    often carry a record's nested fields as JSON text. Anything else is returned as is."""
    if not isinstance(value, str) or len(value) > MAX_JSON_TEXT:
        return value
    text_ = value.strip()
    if not (text_.startswith("{") and text_.endswith("}")) and not (
        text_.startswith("[") and text_.endswith("]")
    ):
        return value
    try:
        decoded = json.loads(text_)
    except (json.JSONDecodeError, RecursionError):
        return value
    return decoded if isinstance(decoded, dict | list) else value


def mapping_at(event: Any, path: str) -> Mapping[str, Any]:
    value = nested_json(look(event, path))
    return value if isinstance(value, Mapping) else {}


def list_at(event: Any, path: str) -> list[Any]:
    value = nested_json(look(event, path))
    return value if isinstance(value, list) else []


def text(event: Any, *paths: str) -> str | None:
    """The first path holding a non-empty scalar, as text; numbers become text, the rest None."""
    return _first_found(event, paths, dig, _stripped)


def first(event: Any, *paths: str) -> str | None:
    """The first path (case-forgiving) that holds real text: not a placeholder like "n/a"."""
    return _first_found(event, paths, look, scalar_text)


def _first_found(
    event: Any,
    paths: tuple[str, ...],
    lookup: Callable[[Any, str], Any],
    convert: Callable[[Any], str | None],
) -> str | None:
    for path in paths:
        found = convert(lookup(event, path))
        if found is not None:
            return found
    return None


def _stripped(value: Any) -> str | None:
    """A non-empty string or number as stripped text; anything else None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value).strip() or None


def scalar_text(value: Any) -> str | None:
    """A non-placeholder string or number as stripped text; anything else None."""
    cleaned = _stripped(value)
    return None if cleaned is None or cleaned.lower() in PLACEHOLDERS else cleaned


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        parsed = float(value)
    except ValueError:
        return None
    return parsed if math.isfinite(parsed) else None


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 (Z or offset, with or without fraction), 'YYYY-MM-DD HH:MM:SS[.f]' or epoch
    seconds/milliseconds/microseconds; naive times are taken as UTC. None when unreadable."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            return _from_epoch(float(value))
        except OverflowError:  # an integer beyond any float
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    if raw.isdecimal() and raw.isascii():
        return parse_time(int(raw))
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" UTC", "+00:00"))
        # Converted here: year 1 at +05:00 or 9999 at -05:00 falls off the calendar in UTC.
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def _from_epoch(number: float) -> datetime | None:
    for divisor in (1, 1_000, 1_000_000, 1_000_000_000):
        seconds = number / divisor
        if seconds < 4_102_444_800:  # before 2100: the right unit
            try:
                return datetime.fromtimestamp(seconds, tz=UTC)
            except (OverflowError, OSError, ValueError):
                return None
    return None


def required_time(
    event: Any, source: str, *paths: str, lookup: Callable[[Any, str], Any] = dig
) -> datetime:
    """The first readable time among paths (read with lookup); no_event_time when none is."""
    return pick_time(source, *((path, lookup(event, path)) for path in paths))


def pick_time(source: str, *candidates: tuple[str, Any]) -> datetime:
    """The first readable time among (where, value) pairs; no_event_time naming where looked."""
    for _where, value in candidates:
        parsed = parse_time(value)
        if parsed is not None:
            return parsed
    return no_event_time(source, ", ".join(where for where, _value in candidates))


def required_text(event: Any, source: str, *paths: str) -> str:
    found = first(event, *paths)
    if found is None:
        raise AlertRejected(f"no event type (looked in {', '.join(paths)})", source=source)
    return found


def required_mapping(event: Any, source: str) -> Mapping[str, Any]:
    if not isinstance(event, Mapping):
        raise AlertRejected(
            f"an event must be a JSON object, not {type(event).__name__}", source=source
        )
    return event
