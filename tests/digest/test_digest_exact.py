"""The digest's figures are exact: two weeks of activity made by the real parts, every figure
recomputed from the exported audit rows by a separate, plain implementation, compared one by
one for this week and last week."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.audit.log import chain_head
from bot.digest.compute import DigestOptions, compute_digest
from bot.digest.model import Digest
from bot.digest.window import digest_zone, previous_window, week_window
from tests.digest.activity import LAST_MONDAY, NEXT_MONDAY, POST_AT, SCRIPTED_MODEL
from tests.digest.clock import FakeClock, install
from tests.digest.recompute import Recount, exported_rows
from tests.digest.story import Story, two_weeks

PRICES = {"gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00)}
SLA_HOURS = 4.0


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(LAST_MONDAY - timedelta(hours=1))
    install(monkeypatch, fake)
    return fake


@pytest.fixture
def story(make_runtime: Any, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Story]:
    with two_weeks(make_runtime, clock, monkeypatch) as made:
        clock.set(POST_AT)
        yield made


def digest_of(story: Story, now: datetime) -> Digest:
    zone = digest_zone("UTC")
    window = week_window("2026-W47", zone)
    options = DigestOptions(sla_hours=SLA_HOURS, prices=PRICES)
    return compute_digest(
        story.runtime.engine, window, previous_window(window, zone), options, now=now
    )


def assert_same(actual: Any, expected: Any, path: str = "") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: {actual!r} is not a mapping"
        assert set(actual) == set(expected), f"{path}: keys {sorted(actual)} ≠ {sorted(expected)}"
        for key in expected:
            assert_same(actual[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, float) or isinstance(actual, float):
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-6), (
            f"{path}: {actual} ≠ {expected}"
        )
    else:
        assert actual == expected, f"{path}: {actual!r} ≠ {expected!r}"


def compare(digest: Digest, story: Story, as_of: datetime) -> None:
    rows = exported_rows(story.runtime.engine)
    for kpis in (digest.current, digest.previous):
        expected = Recount(rows, kpis.window.start, kpis.window.end).everything(
            SLA_HOURS, as_of, PRICES
        )
        actual = asdict(kpis)
        del actual["window"]
        assert_same(actual, expected, kpis.window.label)


def test_every_figure_matches_an_independent_recount(story: Story) -> None:
    digest = digest_of(story, POST_AT)
    compare(digest, story, POST_AT)
    assert digest.chain.ok and (digest.chain.head_seq, digest.chain.head_hash) == chain_head(
        story.runtime.engine
    )


def test_the_story_reaches_every_figure(story: Story) -> None:
    """The recount can only catch what the activity exercises: make sure it exercises it."""
    now, before = digest_of(story, POST_AT).current, digest_of(story, POST_AT).previous
    assert (now.alerts.received, before.alerts.received) == (8, 4)
    assert (now.alerts.duplicates, now.alerts.rejected, now.alerts.storms) == (2, 2, 1)
    assert now.alerts.posted == 7 and before.alerts.posted == 3  # the late alert: neither
    assert (now.alerts.feedback_agree, now.alerts.feedback_disagree) == (1, 2)
    assert now.actions.executed == 3 and now.actions.failed == 1 and now.actions.rejected == 1
    assert before.actions.expired == 1 and now.actions.expired == 1
    assert now.actions.approval_latency_median_s is not None
    assert now.credentials.live_at_end == 1 and before.credentials.live_at_end == 1
    assert now.credentials.revocation_lag_median_ms is not None
    assert now.policy.denials_by_rule and now.policy.limit_hits == 1
    assert now.policy.injection_suspects >= 1
    assert now.completeness.share == 1.0 and now.completeness.executed == 3
    assert set(now.usage.models) == {"socbot-offline-rules-1", SCRIPTED_MODEL}
    assert now.usage.models[SCRIPTED_MODEL].prompt_tokens == 4100
    assert now.usage.models[SCRIPTED_MODEL].cost_usd == pytest.approx(
        (4100 * 0.15 + 160 * 0.6) / 1e6
    )


def test_containment_is_judged_against_the_sla(story: Story) -> None:
    week, last = story.this_week, story.last_week
    risk = digest_of(story, POST_AT).current.risk
    escaped = set(risk.escaped_alerts)
    assert {week["glass"].alert_id, week["key"].alert_id, week["untriaged"].alert_id} <= escaped
    assert not {week["mfa"].alert_id, week["group"].alert_id, week["sunday"].alert_id} & escaped
    previous = digest_of(story, POST_AT).previous.risk
    assert last["glass"].alert_id in previous.escaped_alerts
    assert last["late"].alert_id not in previous.escaped_alerts  # contained early on Monday


def test_an_sla_still_running_is_pending_not_escaped(story: Story) -> None:
    early = NEXT_MONDAY + timedelta(hours=1)  # the untriaged Sunday alert's SLA runs to 03:35
    digest = digest_of(story, early)
    assert story.this_week["untriaged"].alert_id not in digest.current.risk.escaped_alerts
    assert digest.current.risk.pending == 1
    compare(digest, story, early)


def test_an_altered_row_breaks_the_digests_chain_check(story: Story) -> None:
    from sqlalchemy import text

    engine = story.runtime.engine
    with engine.begin() as conn:
        trigger = "audit_event_no_update"
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        else:
            conn.execute(text(f"DROP TRIGGER {trigger}"))
        conn.execute(text("UPDATE audit_event SET actor = 'someone else' WHERE seq = 5"))
    chain = digest_of(story, POST_AT).chain
    assert chain.checked and chain.ok is False and chain.first_bad_seq == 5
