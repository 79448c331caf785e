"""The worker's schedule (APScheduler 3): the weekly digest, approval expiry, credential sweep.

Jobs:
- weekly-digest: a cron on the configured weekday *name* and hour in the digest time zone
  (Monday 09:00 by default). misfire_grace_time is hours, so a worker that was busy, paused
  or starting up late still posts; coalesce folds a backlog of runs into one.
- digest-catch-up: at start-up and every 15 minutes, post the digest that is due if it has
  not gone out: a run missed while no worker was up, a failed post, a claim abandoned by a
  worker that died. The digest_post row makes every one of these exactly once per week.
- approval-expiry: every minute, expire approval requests past their window; with Slack,
  through refresh_expired_cards, which also redraws their cards.
- credential-sweep: every minute, revoke credentials whose call, task or ttl is over.

Each job catches and logs its own errors, so one bad run does not stop the schedule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import utcnow
from bot.digest.publish import DigestPoster, PostOutcome, new_claimer, post_due_digest, weekday
from bot.digest.window import digest_zone
from bot.runtime import Runtime

log = logging.getLogger(__name__)

DIGEST_GRACE = timedelta(hours=6)
HOUSEKEEPING_GRACE = timedelta(seconds=50)
CATCH_UP_EVERY = timedelta(minutes=15)
HOUSEKEEPING_EVERY = timedelta(minutes=1)
Expirer = Callable[[], list[str]]


@dataclass
class WorkerJobs:
    """What the scheduled jobs do, callable directly (tests, `socbot worker` at start-up)."""

    runtime: Runtime
    poster: DigestPoster
    expire: Expirer
    claimer: str = ""

    def __post_init__(self) -> None:
        self.claimer = self.claimer or new_claimer()

    def digest(self) -> PostOutcome | None:
        try:
            outcome = post_due_digest(self.runtime, self.poster, claimer=self.claimer)
        except Exception:
            log.exception("weekly digest job failed")
            return None
        if outcome.status != "skipped":
            log.info("weekly digest %s: %s (%s)", outcome.week, outcome.status, outcome.detail)
        return outcome

    def expire_approvals(self) -> list[str]:
        try:
            expired = self.expire()
        except Exception:
            log.exception("approval expiry job failed")
            return []
        if expired:
            log.info("expired %d approval request(s): %s", len(expired), ", ".join(expired))
        return expired

    def sweep_credentials(self) -> int:
        try:
            report = self.runtime.broker.sweep()
        except Exception:
            log.exception("credential sweep job failed")
            return 0
        for failure in report.failed:
            log.error("credential sweep could not revoke: %s", failure)
        return len(report.revoked)


def build_scheduler(jobs: WorkerJobs) -> BackgroundScheduler:
    """The jobs on a BackgroundScheduler (threads); the caller starts and shuts it down."""
    settings = jobs.runtime.settings
    zone = digest_zone(settings.digest_timezone)
    scheduler = BackgroundScheduler(timezone=zone)
    weekly = CronTrigger(
        day_of_week=weekday(settings.digest_day_of_week),
        hour=settings.digest_hour,
        minute=0,
        timezone=zone,
    )
    grace = int(DIGEST_GRACE.total_seconds())
    now = utcnow()
    _add(scheduler, jobs.digest, weekly, "weekly-digest", misfire_grace_time=grace)
    catch_up = IntervalTrigger(seconds=int(CATCH_UP_EVERY.total_seconds()), timezone=zone)
    _add(scheduler, jobs.digest, catch_up, "digest-catch-up", next_run_time=now)
    every_minute = IntervalTrigger(seconds=int(HOUSEKEEPING_EVERY.total_seconds()), timezone=zone)
    _add(scheduler, jobs.expire_approvals, every_minute, "approval-expiry", next_run_time=now)
    _add(scheduler, jobs.sweep_credentials, every_minute, "credential-sweep", next_run_time=now)
    return scheduler


def _add(
    scheduler: BaseScheduler,
    func: Callable[[], Any],
    trigger: Any,
    name: str,
    *,
    misfire_grace_time: int = int(HOUSEKEEPING_GRACE.total_seconds()),
    **options: Any,
) -> None:
    """One instance at a time; runs missed while busy or paused fold into one (coalesce)."""
    scheduler.add_job(
        func,
        trigger,
        id=name,
        name=name,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=misfire_grace_time,
        **options,
    )
