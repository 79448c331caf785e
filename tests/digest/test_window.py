"""Digest windows and due dates: ISO weeks in the digest's time zone, look-backs, the window
before, when the weekly post falls due and which week it reports; and the statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Settings
from bot.digest.publish import latest_due, weekday
from bot.digest.stats import median, p90, ratio
from bot.digest.window import (
    digest_zone,
    parse_week,
    previous_week,
    previous_window,
    since_window,
    week_of,
    week_window,
)
from bot.errors import ConfigError

BERLIN = digest_zone("Europe/Berlin")


def test_an_iso_week_runs_monday_to_monday_in_the_zone() -> None:
    window = week_window("2026-W47", BERLIN)
    assert window.start == datetime(2026, 11, 15, 23, 0, tzinfo=UTC)  # Mon 00:00 CET
    assert window.end == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    assert window.week == window.label == "2026-W47"


def test_a_week_with_the_spring_clock_change_is_an_hour_short() -> None:
    window = week_window("2026-W13", BERLIN)  # clocks go forward on Sunday 29 March
    assert window.length == timedelta(hours=167)
    assert previous_window(window, BERLIN).length == timedelta(hours=168)


def test_the_week_before_crosses_the_year() -> None:
    assert previous_week("2026-W01") == "2025-W52"
    assert previous_week("2021-W01") == "2020-W53"
    assert week_of(datetime(2026, 1, 1, 12, tzinfo=UTC), BERLIN) == "2026-W01"
    assert week_of(datetime(2025, 12, 29, 0, 30, tzinfo=UTC), BERLIN) == "2026-W01"


@pytest.mark.parametrize("text", ["2021-W53", "2026-W00", "2026-47", "W47", "2026-W47x"])
def test_a_week_that_does_not_exist_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="not an ISO week"):
        parse_week(text)


def test_an_unknown_zone_is_refused_with_examples() -> None:
    with pytest.raises(ConfigError, match="IANA name"):
        digest_zone("Mars/Olympus")


def test_since_is_the_last_stretch_and_the_one_before_is_as_long() -> None:
    now = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)
    window = since_window("7d", now)
    assert (window.start, window.end) == (now - timedelta(days=7), now)
    before = previous_window(window, BERLIN)
    assert (before.start, before.end) == (now - timedelta(days=14), window.start)
    assert since_window("2026-11-20", now).start == datetime(2026, 11, 20, tzinfo=UTC)
    with pytest.raises(ConfigError, match="does not reach back"):
        since_window("2026-12-01", now)


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("now", "due", "week"),
    [
        (
            datetime(2026, 11, 23, 8, 59, tzinfo=UTC),
            datetime(2026, 11, 16, 9, tzinfo=UTC),
            "2026-W46",
        ),
        (
            datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
            datetime(2026, 11, 23, 9, tzinfo=UTC),
            "2026-W47",
        ),
        (
            datetime(2026, 11, 29, 23, 0, tzinfo=UTC),
            datetime(2026, 11, 23, 9, tzinfo=UTC),
            "2026-W47",
        ),
    ],
)
def test_the_post_falls_due_monday_at_nine_and_reports_the_week_before(
    now: datetime, due: datetime, week: str
) -> None:
    assert latest_due(now, settings()) == type(latest_due(now, settings()))(due, week)


def test_due_times_follow_the_configured_zone_and_day() -> None:
    configured = settings(
        digest_timezone="America/New_York", digest_day_of_week="wed", digest_hour=7
    )
    due = latest_due(datetime(2026, 11, 25, 13, 0, tzinfo=UTC), configured)
    assert due.at == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # 07:00 EST
    assert due.week == "2026-W47"


@pytest.mark.parametrize(("given", "short"), [("mon", "mon"), ("Tuesday", "tue"), (" FRI ", "fri")])
def test_weekday_names(given: str, short: str) -> None:
    assert weekday(given) == short


@pytest.mark.parametrize("given", ["0", "1", "mon-fri", "moon", "monkey", ""])
def test_weekday_numbers_and_nonsense_are_refused(given: str) -> None:
    with pytest.raises(ConfigError, match="weekday name"):
        weekday(given)


def test_median_p90_and_ratio_as_defined() -> None:
    assert median([]) is None and p90([]) is None and ratio(3, 0) is None
    assert median([5.0, 1.0, 3.0]) == 3.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    values = [float(v) for v in range(1, 11)]  # 1..10: rank ceil(9.0) = 9
    assert p90(values) == 9.0
    assert p90([7.0]) == 7.0
    assert p90([float(v) for v in range(1, 12)]) == 10.0  # n=11: rank ceil(9.9) = 10
    assert ratio(1, 4) == 0.25
