"""Claiming Slack events: exactly one claim of an event id wins, however many race for it."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from bot.clock import utcnow
from bot.slack.event_claims import SlackEvent, claim_event, forget_old_events

RACERS = 8


def test_one_of_many_racing_claims_wins(engine: Engine) -> None:
    barrier = threading.Barrier(RACERS)
    results: list[bool] = []

    def claim() -> None:
        barrier.wait(timeout=10)
        results.append(claim_event(engine, "Ev0RACE", "T0SOCBOT", "app_mention"))

    threads = [threading.Thread(target=claim) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False] * (RACERS - 1) + [True]
    assert claim_event(engine, "Ev0OTHER", "T0SOCBOT", "message") is True


def test_old_claims_are_forgotten_recent_ones_kept(engine: Engine) -> None:
    for event_id in ("Ev0OLD", "Ev0NEW"):
        assert claim_event(engine, event_id, None, "reaction_added")
    with engine.begin() as conn:
        conn.execute(
            update(SlackEvent)
            .where(SlackEvent.event_id == "Ev0OLD")  # type: ignore[arg-type]
            .values(received_at=utcnow() - timedelta(days=3))
        )
    assert forget_old_events(engine, keep=timedelta(days=2)) == 1
    with engine.connect() as conn:
        left = conn.execute(select(SlackEvent.event_id)).scalars().all()
        assert left == ["Ev0NEW"]
        assert conn.execute(select(func.count()).select_from(SlackEvent)).scalar_one() == 1
    assert claim_event(engine, "Ev0NEW", None, "reaction_added") is False
