"""Small readers every normalizer shares: dotted lookups, times, and typed text."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.alerts.model import AlertRejected, MissingEventTime


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
    value = event
    for step in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(step)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
        if value is None:
            return None
    return value


def text(event: Any, *paths: str) -> str | None:
    """The first path holding a non-empty scalar, as text; numbers become text, the rest None."""
    for path in paths:
        value = dig(event, path)
        if isinstance(value, bool):
            continue
        if isinstance(value, str | int | float) and str(value).strip():
            return str(value).strip()
    return None


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


def required_time(event: Any, source: str, *paths: str) -> datetime:
    for path in paths:
        parsed = parse_time(dig(event, path))
        if parsed is not None:
            return parsed
    return no_event_time(source, ", ".join(paths))


def required_mapping(event: Any, source: str) -> Mapping[str, Any]:
    if not isinstance(event, Mapping):
        raise AlertRejected(
            f"an event must be a JSON object, not {type(event).__name__}", source=source
        )
    return event
