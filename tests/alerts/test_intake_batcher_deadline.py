"""The webhook's batcher answers each alert within about its deadline: a batch is stored with
what is left of its oldest alert's wait as the database deadline, and an alert that waited it
out in the queue is answered IntakeBusy without being stored."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pytest

from bot.alerts.intake.batcher import IntakeBatcher
from bot.alerts.intake.store import IntakeOutcome
from bot.errors import IntakeBusy

MAX_WAIT = 1.0


class SlowStore:
    """Stores nothing; the first batch takes `first_seconds`; records each call's deadline."""

    def __init__(self, first_seconds: float) -> None:
        self.first_seconds = first_seconds
        self.deadlines: list[float | None] = []
        self.sizes: list[int] = []

    def __call__(
        self, items: Sequence[Any], *, deadline: float | None = None
    ) -> list[IntakeOutcome]:
        self.deadlines.append(deadline)
        self.sizes.append(len(items))
        if len(self.deadlines) == 1:
            time.sleep(self.first_seconds)
        return [IntakeOutcome("accepted", alert_id=f"a{n}") for n in range(len(items))]


def test_a_batch_gets_what_is_left_of_its_oldest_alerts_wait() -> None:
    store = SlowStore(first_seconds=0.6)
    batcher = IntakeBatcher(store, max_wait=MAX_WAIT)
    first = batcher.submit("first")  # type: ignore[arg-type]
    time.sleep(0.05)  # the first batch is under way
    second = batcher.submit("second")  # type: ignore[arg-type]
    assert first.result(5).status == second.result(5).status == "accepted"
    first_deadline, second_deadline = store.deadlines
    assert first_deadline is not None and first_deadline > 0.9
    assert second_deadline is not None and second_deadline < 0.5  # it queued ~0.55 s


def test_an_alert_that_waited_out_its_deadline_in_the_queue_is_not_stored() -> None:
    store = SlowStore(first_seconds=1.2)
    batcher = IntakeBatcher(store, max_wait=MAX_WAIT)
    batcher.submit("first")  # type: ignore[arg-type]
    time.sleep(0.05)
    late = batcher.submit("late")  # type: ignore[arg-type]
    with pytest.raises(IntakeBusy):
        late.result(5)
    assert store.sizes == [1]  # the late alert never reached the store


def test_without_a_deadline_the_store_is_called_as_before() -> None:
    store = SlowStore(first_seconds=0)
    batcher = IntakeBatcher(store)
    assert batcher.submit("only").result(5).status == "accepted"  # type: ignore[arg-type]
    assert store.deadlines == [None]
