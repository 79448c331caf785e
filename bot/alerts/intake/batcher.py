"""Group commit for the webhook: alerts that arrive together are stored in one transaction.

Each request hands its prepared alert to the batcher and waits for the commit that holds it,
so a 202 still means "in the database". Under load, requests queue up while a commit is
under way, and the next commit takes all of them: one disk flush for many alerts instead of
one each. With one request at a time, a batch is that one alert and nothing waits.

A batch that fails to store is retried alert by alert, so one bad alert fails only itself;
a batch that hit the database deadline fails whole, at once.
The thread stops after IDLE_SECONDS without work and starts again with the next alert.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

from bot.alerts.intake.store import IntakeOutcome, Prepared, Rejection
from bot.errors import IntakeBusy

log = logging.getLogger(__name__)

MAX_BATCH = 256
MIN_DEADLINE = 0.25  # seconds: even an item that waited long gets a fair try at the database
IDLE_SECONDS = 1.0

Item = Prepared | Rejection
Store = Callable[..., list[IntakeOutcome]]  # (items, *, deadline=None) → outcomes
Pending = tuple[Item, "Future[IntakeOutcome]", float]  # item, its answer, when queued


class IntakeBatcher:
    def __init__(
        self, store: Store, max_batch: int = MAX_BATCH, *, max_wait: float | None = None
    ) -> None:
        """max_wait: an item is answered within about this long: one queued longer is answered
        IntakeBusy, not stored, and a batch is stored with what is left of its oldest
        item's wait as the database deadline."""
        self._store = store
        self._max_batch = max_batch
        self._max_wait = max_wait
        self._queue: queue.SimpleQueue[Pending] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False

    def submit(self, item: Item) -> Future[IntakeOutcome]:
        """A future that resolves once item is committed (or raises why it was not)."""
        future: Future[IntakeOutcome] = Future()
        with self._lock:
            self._queue.put((item, future, time.monotonic()))
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="alert-intake", daemon=True).start()
        return future

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            batch = self._drop_overdue(batch)
            if batch:
                self._store_batch(batch)

    def _deadline(self, batch: list[Pending]) -> dict[str, float]:
        if self._max_wait is None:
            return {}
        waited = time.monotonic() - min(queued for _, _, queued in batch)
        return {"deadline": max(MIN_DEADLINE, self._max_wait - waited)}

    def _drop_overdue(self, batch: list[Pending]) -> list[Pending]:
        """Answer the items that waited past max_wait (their senders are about to give up
        and send them again); the rest are stored."""
        if self._max_wait is None:
            return batch
        cutoff = time.monotonic() - self._max_wait
        for _, future, queued in batch:
            if queued < cutoff:
                future.set_exception(IntakeBusy("the alert waited too long for the database"))
        return [pending for pending in batch if pending[2] >= cutoff]

    def _next_batch(self) -> list[Pending] | None:
        try:
            batch = [self._queue.get(timeout=IDLE_SECONDS)]
        except queue.Empty:
            with self._lock:
                if self._queue.empty():
                    self._running = False
                    return None
            batch = []
        while len(batch) < self._max_batch:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _store_batch(self, batch: list[Pending]) -> None:
        try:
            outcomes = self._store([item for item, _, _ in batch], **self._deadline(batch))
        except Exception as exc:
            if len(batch) == 1 or isinstance(exc, IntakeBusy):
                # A busy database would make each alert of the batch wait out the deadline
                # again, one after the other: all of them are answered 503 now instead.
                for _, future, _ in batch:
                    future.set_exception(exc)
                return
            log.warning("storing %d alerts together failed (%s); one by one", len(batch), exc)
            for pending in batch:
                self._store_batch([pending])
            return
        for (_, future, _), outcome in zip(batch, outcomes, strict=True):
            future.set_result(outcome)
