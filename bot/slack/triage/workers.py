"""The alert triage workers serve() runs beside the Slack app: they take queued alerts,
triage them and post the results to the alerts channel (bot.slack.triage.publisher)."""

from __future__ import annotations

from typing import Protocol

from bot.alerts.triage.worker import TriageWorkerPool
from bot.slack.context import SlackContext
from bot.slack.triage.publisher import SlackTriagePublisher

TRIAGE_THREADS = 2  # triage waits on the model; two keep a burst moving without a pile-up


class TriageWorkers(Protocol):
    def wake(self) -> None:
        """New alerts are queued: look now rather than at the next poll."""
        ...

    def stop(self, timeout: float) -> None:
        """Finish the triage in hand (up to timeout) and stop."""
        ...


def start_triage_workers(ctx: SlackContext, threads: int = TRIAGE_THREADS) -> TriageWorkers:
    return TriageWorkerPool(ctx.runtime, SlackTriagePublisher(ctx), threads=threads)
