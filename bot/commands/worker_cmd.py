"""socbot worker: the scheduler that posts the weekly digest, expires approvals and sweeps
credentials (bot.scheduler). Run one or several; each week's digest still goes out once."""

from __future__ import annotations

import argparse
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

from apscheduler.schedulers.base import BaseScheduler

from bot.clock import utcnow
from bot.commands.common import Subparsers, add_command, runtime_for
from bot.config import Settings
from bot.digest.publish import latest_due, weekday
from bot.runtime import Runtime
from bot.scheduler import CATCH_UP_EVERY, WorkerJobs, build_scheduler
from bot.slack.digest_poster import make_poster

Closer = Callable[[], object]
STOP_POLL_SECONDS = 0.2


def register(commands: Subparsers) -> None:
    parser = add_command(
        commands,
        "worker",
        worker,
        "run the scheduler: the weekly digest post, approval expiry, credential sweep",
    )
    parser.add_argument(
        "--once", action="store_true", help="run every job once now, print what happened, exit"
    )


def worker(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    expire, expiry_note, close = approval_expirer(runtime)
    jobs = WorkerJobs(runtime, make_poster(runtime.settings), expire)
    try:
        if args.once:
            return run_once(jobs)
        stop_metrics = start_metrics(runtime)
        try:
            run_until_stopped(build_scheduler(jobs), summary(runtime, jobs, expiry_note))
        finally:
            stop_metrics()
    finally:
        close()
        runtime.audit.close()
    print("socbot worker stopped")
    return 0


def approval_expirer(runtime: Runtime) -> tuple[Callable[[], list[str]], str, Closer]:
    """Expire approvals; with a Slack bot token, through the cards so they are redrawn."""
    settings = runtime.settings
    if settings.slack_bot_token is None or not settings.slack_bot_token.get_secret_value():
        note = "requests only; no SLACK_BOT_TOKEN, so no cards are redrawn"
        return runtime.approvals.expire_due, note, lambda: None
    from bot.slack.app import connect
    from bot.slack.approvals.cards import refresh_expired_cards
    from bot.slack.client import make_web_client
    from bot.slack.workers import ThreadWorkerPool

    client = make_web_client(settings)
    workers = ThreadWorkerPool(client, runtime.audit, 2)
    ctx = connect(runtime, client, workers)
    return lambda: refresh_expired_cards(ctx), "and their Slack cards redrawn", workers.shutdown


def start_metrics(runtime: Runtime) -> Closer:
    settings = runtime.settings
    if not settings.worker_metrics_port:
        return lambda: None
    from bot.observability.scrape import serve_worker_metrics

    return serve_worker_metrics(runtime.engine, settings.serve_host, settings.worker_metrics_port)


def summary(runtime: Runtime, jobs: WorkerJobs, expiry_note: str) -> str:
    settings = runtime.settings
    due = latest_due(utcnow(), settings)
    where = runtime.engine.url.render_as_string(hide_password=True)
    every = int(CATCH_UP_EVERY.total_seconds() // 60)
    return "\n".join(
        [
            f"socbot worker on {where}",
            f"  weekly digest: {weekday(settings.digest_day_of_week)} "
            f"{settings.digest_hour:02d}:00 {settings.digest_timezone} → {jobs.poster.where}",
            f"  digest catch-up: now and every {every} min; last due "
            f"{due.at:%Y-%m-%d %H:%MZ} for {due.week}, posted once per week across workers",
            f"  approval expiry: every minute, {expiry_note}",
            "  credential sweep: every minute",
            f"  metrics: {_metrics_where(settings)}",
            "Stop with Ctrl-C or SIGTERM; a job already running finishes first.",
        ]
    )


def _metrics_where(settings: Settings) -> str:
    port = settings.worker_metrics_port
    return f"http://{settings.serve_host}:{port}/metrics" if port else "off"


def run_until_stopped(scheduler: BaseScheduler, announcement: str) -> None:
    """Run the scheduler's threads until SIGTERM or Ctrl-C, then let running jobs finish.

    The signal handlers only raise a flag: a handler runs on the main thread wherever it is,
    maybe inside the scheduler holding a lock that shutting down would wait for."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    print(announcement, flush=True)
    scheduler.start()
    try:
        while not stop.is_set():
            time.sleep(STOP_POLL_SECONDS)
    finally:
        scheduler.shutdown(wait=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_once(jobs: WorkerJobs) -> int:
    outcome = jobs.digest()
    print(
        f"digest: {outcome.week} {outcome.status}: {outcome.detail}"
        if outcome
        else "digest: failed"
    )
    expired = jobs.expire_approvals()
    print(f"approval expiry: {len(expired)} expired")
    print(f"credential sweep: {jobs.sweep_credentials()} revoked")
    return 0 if outcome is not None and outcome.status != "failed" else 1
