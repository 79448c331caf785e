"""Triage workers: take a group from the queue, triage it once, audit it, publish it.

`TriageWorker(runtime, publisher).run_once()` does one round: publish duplicate counters and
publishes that are due, then claim one group and triage it. `run_forever(stop)` repeats
until stop is set, sleeping between rounds when idle unless `wake()` is called (the webhook
calls it for each accepted alert). `TriageWorkerPool` runs several workers on threads for
`socbot serve`; several processes may run workers on one database too (bot.alerts.triage.queue).

Triage records triage.result inside its task; the publisher records triage.posted.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from bot.alerts.tables import DONE
from bot.alerts.triage.groups import (
    load_group,
    mark_duplicates_published,
    pending_duplicates,
    stored_result,
)
from bot.alerts.triage.publish import NoPublisher, TriageGroup, TriagePublisher
from bot.alerts.triage.queue import Claim, TriageQueue, worker_name
from bot.alerts.triage.run import triage_group
from bot.alerts.triage.verdict import TriageResult
from bot.clock import utcnow
from bot.errors import RetryLater
from bot.observability.logs import log_context
from bot.observability.metrics import TRIAGE_SECONDS
from bot.runtime import Runtime
from bot.tasks.recovery import RECOVERY_SECONDS, recover

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
DUPLICATE_UPDATE_SECONDS = 10.0  # a post's duplicate counter changes at most this often
LEASE_MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class WorkDone:
    group_id: str
    status: str  # done | queued (will retry) | failed | lost (another worker holds it now)
    result: TriageResult | None = None
    error: str | None = None


class TriageWorker:
    def __init__(
        self,
        runtime: Runtime,
        publisher: TriagePublisher | None = None,
        *,
        name: str | None = None,
        queue: TriageQueue | None = None,
        poll_seconds: float = POLL_SECONDS,
        duplicate_seconds: float = DUPLICATE_UPDATE_SECONDS,
    ) -> None:
        self.runtime = runtime
        self.publisher: TriagePublisher = publisher or NoPublisher()
        self.name = name or worker_name()
        self.queue = queue or default_queue(runtime)
        self.poll_seconds = poll_seconds
        self.duplicate_seconds = duplicate_seconds
        self._wake = threading.Event()
        self._recovered_at = float("-inf")

    def wake(self) -> None:
        self._wake.set()

    def run_once(self) -> WorkDone | None:
        """One round; what was triaged, or None when nothing was due."""
        self.reclaim_from_the_dead()
        self.publish_duplicates()
        self.publish_due()
        claim = self.queue.claim(self.name)
        return self.work_on(claim) if claim is not None else None

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                busy = self.run_once() is not None
            except Exception:  # a database hiccup must not end the worker
                log.exception("triage worker %s: round failed", self.name)
                busy = False
            if not busy and not stop.is_set():
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def work_on(self, claim: Claim, *, actor: str | None = None) -> WorkDone:
        """Triage a claimed group once; retry or fail it when triage raises. The task's actor
        is alert:<source> unless actor says otherwise (socbot triage --as)."""
        started = time.monotonic()
        try:
            with log_context(group_id=claim.group_id):
                loaded = load_group(self.runtime.engine, claim.group_id)
                alert_id = str(loaded.group.alert_ids[0]) if loaded.group.alert_ids else None
                with log_context(alert_id=alert_id):
                    result = triage_group(
                        self.runtime,
                        loaded.group,
                        actor=actor or loaded.actor,
                        variety=loaded.variety,
                        origin=loaded.origins,
                    )
        except Exception as exc:
            TRIAGE_SECONDS.labels("error").observe(time.monotonic() - started)
            error = f"{type(exc).__name__}: {exc}"
            log.warning(
                "triage of %s failed (attempt %d): %s", claim.group_id, claim.attempts, error
            )
            return WorkDone(claim.group_id, self.queue.retry_or_fail(claim, error), error=error)
        TRIAGE_SECONDS.labels(result.verdict).observe(time.monotonic() - started)
        if not self.queue.complete(claim, result):
            log.warning("triage of %s finished after its lease ran out", claim.group_id)
            return WorkDone(claim.group_id, "lost", result)
        self._publish(loaded.group, result)
        return WorkDone(claim.group_id, DONE, result)

    def reclaim_from_the_dead(self) -> None:
        """Every RECOVERY_SECONDS: take back what dead processes held (bot.tasks.recovery)."""
        if time.monotonic() - self._recovered_at < RECOVERY_SECONDS:
            return
        self._recovered_at = time.monotonic()
        runtime = self.runtime
        recover(runtime.engine, runtime.audit, runtime.broker)

    def publish_due(self) -> None:
        """Publish a triage whose publishing failed before (or whose worker stopped)."""
        group_id = self.queue.claim_publish()
        if group_id is None:
            return
        loaded = load_group(self.runtime.engine, group_id)
        result = stored_result(loaded.record)
        if result is not None:
            self._publish(loaded.group, result)

    def publish_duplicates(self) -> None:
        """Bring the duplicate counters on posts up to date: one update per post at most
        every duplicate_seconds, however many duplicates came in meanwhile."""
        not_since = utcnow() - timedelta(seconds=self.duplicate_seconds)
        for pending in pending_duplicates(self.runtime.engine, not_since):
            try:
                self.publisher.publish_duplicates(
                    pending.post, pending.first_alert_id, pending.count
                )
            except RetryLater:
                return  # every counter waits for the same backoff; the outage is logged once
            except Exception:
                log.exception("updating the duplicate count of %s failed", pending.first_alert_id)
                continue
            mark_duplicates_published(self.runtime.engine, pending.group_id, pending.count)

    def _publish(self, group: TriageGroup, result: TriageResult) -> None:
        try:
            post = self.publisher.publish_triage(group, result)
        except RetryLater as exc:  # logged once per outage where it was noticed
            log.debug("publishing the triage of %s waits until %s", group.group_id, exc.retry_at)
            self.queue.publish_failed(group.group_id, _first_line(exc), retry_at=exc.retry_at)
            return
        except Exception as exc:
            log.exception("publishing the triage of %s failed", group.group_id)
            self.queue.publish_failed(group.group_id, f"{type(exc).__name__}: {exc}")
            return
        self.queue.record_post(group.group_id, post)


def _first_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"


def default_queue(runtime: Runtime) -> TriageQueue:
    """The queue with the settings' attempts and a lease longer than any triage may run."""
    lease = runtime.task_limits().seconds * 2 + LEASE_MARGIN_SECONDS
    return TriageQueue(
        runtime.engine,
        runtime.audit,
        max_attempts=runtime.settings.triage_max_attempts,
        lease_seconds=lease,
    )


class TriageWorkerPool:
    """Workers on threads, for the serve process: wake() on new alerts, stop() at shutdown."""

    def __init__(self, runtime: Runtime, publisher: TriagePublisher, threads: int = 1) -> None:
        self._stop = threading.Event()
        self.workers = [TriageWorker(runtime, publisher) for _ in range(threads)]
        self._threads = [
            threading.Thread(
                target=worker.run_forever, args=(self._stop,), name=f"triage-{i}", daemon=True
            )
            for i, worker in enumerate(self.workers)
        ]
        for thread in self._threads:
            thread.start()

    def wake(self) -> None:
        for worker in self.workers:
            worker.wake()

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def stop(self, timeout: float) -> None:
        """Finish the triage in hand (up to timeout) and stop."""
        self._stop.set()
        self.wake()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
