"""The stretch of time a digest covers, and the stretch it is compared with.

Two ways to name one:
- an ISO week in the digest's time zone ("2026-W47"): Monday 00:00 to the next Monday 00:00
  local time, so a week with a daylight-saving change is 167 or 169 hours long;
- a look-back from now ("7d", "24h", or an ISO date): from then until now.

"Last week's value" is the same figure over the previous window: the ISO week before, or the
window of equal length that ends where this one starts. Windows include their start and
exclude their end; times inside are UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.audit.export import parse_since
from bot.errors import ConfigError

_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Window:
    start: datetime  # UTC, included
    end: datetime  # UTC, excluded
    label: str
    week: str | None = None  # the ISO week, when the window is one

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def digest_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {name!r} in SOCBOT_DIGEST_TIMEZONE: use an IANA name such as "
            "UTC, Europe/Berlin or America/New_York"
        ) from None


def parse_week(text: str) -> tuple[int, int]:
    """'2026-W47' → (2026, 47); a week the year does not have is refused."""
    match = _WEEK.match(text)
    if match is not None:
        year, week = int(match.group(1)), int(match.group(2))
        try:
            date.fromisocalendar(year, week, 1)
            return year, week
        except ValueError:
            pass
    raise ConfigError(f"{text!r} is not an ISO week: write it like 2026-W47 (year, W, week 1-53)")


def week_label(year: int, week: int) -> str:
    return f"{year}-W{week:02d}"


def week_of(moment: datetime, zone: ZoneInfo) -> str:
    """The ISO week a moment falls in, as seen in the zone."""
    year, week, _ = moment.astimezone(zone).isocalendar()
    return week_label(year, week)


def week_window(week: str, zone: ZoneInfo) -> Window:
    year, number = parse_week(week)
    monday = datetime.combine(date.fromisocalendar(year, number, 1), time(0), tzinfo=zone)
    # Wall-clock arithmetic: next Monday 00:00 local, whatever the UTC offset did meanwhile.
    start, end = monday.astimezone(UTC), (monday + timedelta(days=7)).astimezone(UTC)
    label = week_label(year, number)
    return Window(start, end, label, week=label)


def previous_week(week: str) -> str:
    year, number = parse_week(week)
    before = date.fromisocalendar(year, number, 1) - timedelta(days=7)
    prior_year, prior_week, _ = before.isocalendar()
    return week_label(prior_year, prior_week)


def since_window(since: str, now: datetime) -> Window:
    """From `since` ('7d', '24h', an ISO date) until now."""
    start = parse_since(since, now=now)
    if start >= now:
        raise ConfigError(f"--since {since} does not reach back before now")
    label = f"{_moment(start)} → {_moment(now)}"
    return Window(start, now, label)


def previous_window(window: Window, zone: ZoneInfo) -> Window:
    """The window a digest compares with: the ISO week before, or equal length just before."""
    if window.week is not None:
        return week_window(previous_week(window.week), zone)
    start = window.start - window.length
    return Window(start, window.start, f"{_moment(start)} → {_moment(window.start)}")


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")
