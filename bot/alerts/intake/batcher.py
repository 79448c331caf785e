"""Group commit for the webhook: alerts that arrive together are stored in one transaction.

Each request hands its prepared alert to the batcher and waits for the commit that holds it,
so a 202 still means "in the database". Under load, requests queue up while a commit is
under way, and the next commit takes all of them: one disk flush for many alerts instead of
one each. With one request at a time, a batch is that one alert and nothing waits.

A batch that fails to store is retried alert by alert, so one bad alert fails only itself.
The thread stops after IDLE_SECONDS without work and starts again with the next alert.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from bot.alerts.intake.store import IntakeOutcome, Prepared, Rejection

log = logging.getLogger(__name__)

MAX_BATCH = 256
IDLE_SECONDS = 1.0

Item = Prepared | Rejection
Store = Callable[[Sequence[Item]], list[IntakeOutcome]]
Pending = tuple[Item, "Future[IntakeOutcome]"]


class IntakeBatcher:
    def __init__(self, store: Store, max_batch: int = MAX_BATCH) -> None:
        self._store = store
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Pending] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False

    def submit(self, item: Item) -> Future[IntakeOutcome]:
        """A future that resolves once item is committed (or raises why it was not)."""
        future: Future[IntakeOutcome] = Future()
        with self._lock:
            self._queue.put((item, future))
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="alert-intake", daemon=True).start()
        return future

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            self._store_batch(batch)

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
            outcomes = self._store([item for item, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                batch[0][1].set_exception(exc)
                return
            log.warning("storing %d alerts together failed (%s); one by one", len(batch), exc)
            for pending in batch:
                self._store_batch([pending])
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            future.set_result(outcome)
