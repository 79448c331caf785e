"""The worker's schedule: the weekly cron on weekday names with hours of misfire grace, two
started schedulers and a restart posting once, and the housekeeping jobs (approval expiry,
through the Slack cards when Slack is configured, and the credential sweep)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.digest.publish import LogPoster, PostOutcome, latest_due
from bot.digest.store import get_post
from bot.errors import ConfigError
from bot.runtime import Runtime
from bot.scheduler import DIGEST_GRACE, WorkerJobs, build_scheduler
from tests.digest.test_worker import poster_for
from tests.support.slack_standin import SlackStandIn


@pytest.fixture
def workers(make_runtime: Callable[..., Runtime]) -> Iterator[list[Runtime]]:
    first = make_runtime()
    yield [first, make_runtime(seed=False), make_runtime(seed=False)]


def jobs_for(runtime: Runtime, standin: SlackStandIn) -> WorkerJobs:
    return WorkerJobs(runtime, poster_for(standin), runtime.approvals.expire_due)


def test_the_weekly_job_is_a_cron_on_weekday_names_with_hours_of_grace(
    workers: list[Runtime], slack_standin: SlackStandIn
) -> None:
    scheduler = build_scheduler(jobs_for(workers[0], slack_standin))
    weekly = scheduler.get_job("weekly-digest")
    fields = {field.name: str(field) for field in weekly.trigger.fields}
    assert (fields["day_of_week"], fields["hour"], fields["minute"]) == ("mon", "9", "0")
    assert weekly.misfire_grace_time == DIGEST_GRACE.total_seconds() >= 3600
    assert weekly.coalesce is True
    ids = {job.id for job in scheduler.get_jobs()}
    assert ids == {"weekly-digest", "digest-catch-up", "approval-expiry", "credential-sweep"}


@pytest.mark.parametrize(("given", "expected"), [("Friday", "fri"), ("SUN", "sun")])
def test_the_configured_day_is_a_name(
    make_runtime: Callable[..., Runtime], given: str, expected: str
) -> None:
    runtime = make_runtime(digest_day_of_week=given, digest_timezone="Europe/Berlin")
    scheduler = build_scheduler(WorkerJobs(runtime, LogPoster(), runtime.approvals.expire_due))
    fields = {f.name: str(f) for f in scheduler.get_job("weekly-digest").trigger.fields}
    assert fields["day_of_week"] == expected
    assert str(scheduler.get_job("weekly-digest").trigger.timezone) == "Europe/Berlin"


def test_a_weekday_number_is_refused(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(digest_day_of_week="0")
    with pytest.raises(ConfigError, match="weekday name"):
        build_scheduler(WorkerJobs(runtime, LogPoster(), runtime.approvals.expire_due))


class CountingJobs(WorkerJobs):
    """The real jobs, keeping what each digest run came to."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.outcomes: list[PostOutcome | None] = []

    def digest(self) -> PostOutcome | None:
        outcome = super().digest()
        self.outcomes.append(outcome)
        return outcome


def run_scheduler(jobs: CountingJobs) -> None:
    """Start a scheduler, wait for its start-up digest run, shut it down."""
    scheduler = build_scheduler(jobs)
    scheduler.start()
    try:
        deadline = time.monotonic() + 60
        while not jobs.outcomes:
            assert time.monotonic() < deadline, "the start-up digest run did not happen"
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=True)


def test_two_started_schedulers_post_once_and_a_restarted_one_does_not_repeat(
    workers: list[Runtime], slack_standin: SlackStandIn
) -> None:
    jobs = [
        CountingJobs(runtime, poster_for(slack_standin), runtime.approvals.expire_due)
        for runtime in workers
    ]
    both = [threading.Thread(target=run_scheduler, args=(j,)) for j in jobs[:2]]
    for thread in both:
        thread.start()
    for thread in both:
        thread.join(90)
    statuses = sorted(o.status for j in jobs[:2] for o in j.outcomes if o is not None)
    assert statuses == ["posted", "skipped"]
    run_scheduler(jobs[2])  # a restart
    assert [o.status for o in jobs[2].outcomes if o is not None] == ["skipped"]
    assert len(slack_standin.calls("chat.postMessage")) == 1
    week = latest_due(datetime.now(UTC), workers[0].settings).week
    post = get_post(workers[0].engine, week)
    assert post is not None and post.status == "posted"


def test_housekeeping_jobs_expire_approvals_and_sweep_credentials(
    workers: list[Runtime], slack_standin: SlackStandIn
) -> None:
    runtime = workers[0]
    from tests.support.approvals import park_revoke_sessions

    request_id = park_revoke_sessions(runtime)
    with runtime.engine.begin() as conn:
        conn.execute(
            text("UPDATE action_request SET expires_at = :past WHERE id = :id"),
            {"past": datetime.now(UTC) - timedelta(minutes=1), "id": request_id},
        )
    jobs = jobs_for(runtime, slack_standin)
    assert jobs.expire_approvals() == [request_id]
    leaked = runtime.broker.issue("task_gone", "get_identity", frozenset({"directory:read"}), 60)
    credential = leaked.__enter__()
    assert jobs.sweep_credentials() == 1
    assert not runtime.provider.credential_accepted(credential.secret)


def test_with_slack_expiry_goes_through_the_cards(
    make_runtime: Callable[..., Runtime], slack_standin: SlackStandIn
) -> None:
    from bot.commands.worker_cmd import approval_expirer
    from tests.support.approvals import park_revoke_sessions

    runtime = make_runtime(slack_bot_token=slack_standin.token, slack_api_url=slack_standin.api_url)
    request_id = park_revoke_sessions(runtime)
    runtime.approvals.set_slack_message(request_id, "C0APPROVALS", "1700000000.000100")
    with runtime.engine.begin() as conn:
        conn.execute(
            text("UPDATE action_request SET expires_at = :past WHERE id = :id"),
            {"past": datetime.now(UTC) - timedelta(minutes=1), "id": request_id},
        )
    expire, note, close = approval_expirer(runtime)
    try:
        assert "cards redrawn" in note
        assert expire() == [request_id]
    finally:
        close()
    [update] = slack_standin.calls("chat.update")
    assert update.params["ts"] == "1700000000.000100"
    assert slack_standin.calls("auth.test")
