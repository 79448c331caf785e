"""Whatever JSON arrives, every normalizer (each vendor module, each generic mapping) and
detection either make a valid Alert with a UTC time or raise AlertRejected: nothing else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.alerts.intake.normalize import known_sources, normalize_event
from bot.alerts.model import MAX_TEXT, Alert
from bot.alerts.sources import SOURCES
from bot.alerts.sources.generic import source as generic
from bot.errors import AlertRejected
from tests.alerts.normalize_shapes import (
    DELETE,
    JSON,
    all_paths,
    all_sources,
    edited,
    fixture_events,
    near_misses,
)

FAST = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
WRONG_TYPES: list[Any] = [DELETE, None, "", "x", 0, -1, 1.5, 10**30, True, [], {}, ["x"], {"x": 1}]
EDGE_VALUES: list[Any] = [
    "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "²", "9" * 40, 10**300,
    '{"ip_address": 5}', "{", "x" * 3000,
]  # fmt: skip


def normalize_with(source: str, event: Any) -> Alert | None:
    """The source's own normalizer (not normalize_event's safety net); None when rejected."""
    try:
        if source.startswith("generic:"):
            return generic.normalize(event, source.removeprefix("generic:"))
        alert: Alert = SOURCES[source].normalize(event)
    except AlertRejected as rejected:
        assert rejected.reason.strip(), "a rejection needs a reason"
        assert rejected.source == source, "a rejection names the source that refused"
        return None
    return alert


def assert_valid(alert: Any, source: str | None = None) -> None:
    assert isinstance(alert, Alert)
    assert source is None or alert.source == source
    assert alert.occurred_at.tzinfo is not None
    assert alert.occurred_at.utcoffset() == timedelta(0)
    assert alert.event_type.strip() and alert.title.strip()
    for text in (alert.title, alert.event_type, alert.source_ip, alert.user_agent):
        assert text is None or len(text) <= MAX_TEXT
    assert Alert.model_validate(alert.model_dump()) == alert


def test_every_source_is_covered() -> None:
    sources = all_sources()
    assert set(SOURCES) <= set(sources)
    assert {f"generic:{name}" for name in generic.mapping_names()} <= set(sources)
    assert set(sources) == set(known_sources())


@pytest.mark.parametrize("source", all_sources())
@FAST
@given(data=st.data())
def test_source_makes_an_alert_or_rejects(source: str, data: st.DataObject) -> None:
    near_miss = near_misses(source)
    event = data.draw(st.one_of(JSON, near_miss, near_miss), label="event")
    alert = normalize_with(source, event)
    if alert is not None:
        assert_valid(alert, source)


@FAST
@given(data=st.data())
def test_detection_makes_an_alert_or_rejects(data: st.DataObject) -> None:
    shapes = [near_misses(source) for source in all_sources()]
    event = data.draw(st.one_of(JSON, *shapes), label="event")
    try:
        alert = normalize_event(event)
    except AlertRejected:
        return
    assert_valid(alert)
    assert alert.source in known_sources()


FIXTURES = list(fixture_events())


@pytest.mark.parametrize(
    ("source", "event"),
    [(source, event) for source, _stem, event in FIXTURES],
    ids=[f"{source}-{stem}" for source, stem, _event in FIXTURES],
)
def test_every_key_of_a_fixture_with_every_wrong_type(source: str, event: dict[str, Any]) -> None:
    """Exhaustive where the properties sample: each path of a real event, each wrong value."""
    for path in sorted(all_paths(event)):
        for value in [*WRONG_TYPES, *EDGE_VALUES]:
            alert = normalize_with(source, edited(event, [(path, value)]))
            if alert is not None:
                assert_valid(alert, source)
