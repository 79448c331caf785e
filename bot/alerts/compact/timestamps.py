"""Times in alerts: read the spellings vendors use, write one ISO form, and say other times
relative to the event's ("3d2h before event"), which is shorter and what a triage asks."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

EPOCH_SECONDS_FLOOR = 1_000_000_000  # 2001-09-09: smaller numbers are durations or counts
# An epoch number above a floor is in the next smaller unit: ms, then µs, then ns.
EPOCH_UNIT_FLOORS = ((100_000_000_000_000_000, 1e9), (100_000_000_000_000, 1e6),
                     (100_000_000_000, 1e3))  # fmt: skip
SAME_MOMENT = timedelta(seconds=1)  # closer than this to the event time is the event time
_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2}|UTC)?$",
    re.IGNORECASE,
)
_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))


def parse_time(value: object, *, numbers: bool = False) -> datetime | None:
    """A UTC datetime from ISO-like text (no zone means UTC) or, if `numbers`, an epoch
    number in s, ms, µs or ns, also sent as digits in a string ("1700250882598435")."""
    if numbers and isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    if isinstance(value, str):
        return _parse_text(value.strip())
    if numbers and isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < EPOCH_SECONDS_FLOOR:
            return None  # a duration or a count, not a moment
        divisor = next((unit for floor, unit in EPOCH_UNIT_FLOORS if value > floor), 1)
        seconds = value / divisor
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _parse_text(text: str) -> datetime | None:
    match = _ISO.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=UTC
        )
    except ValueError:
        return None
    return moment - _offset(zone)


def _offset(zone: str | None) -> timedelta:
    if not zone or zone.upper() in {"Z", "UTC"}:
        return timedelta(0)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))


def iso_utc(moment: datetime) -> str:
    """Seconds are precise enough for a triage; fractions only cost tokens."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def relative_to(moment: datetime, event_time: datetime) -> str:
    """`16s before event`, `3d2h after event`: the two largest units, rounded down."""
    delta = moment - event_time
    seconds = int(abs(delta.total_seconds()))
    parts: list[str] = []
    for unit, size in _UNITS:
        if seconds >= size and len(parts) < 2:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
        elif parts:
            break
    side = "before" if delta < timedelta(0) else "after"
    return f"{''.join(parts) or '0s'} {side} event"
