"""When Slack fails a method, socbot backs that method off, with jitter or by Retry-After,
without sleeping on the thread that called it: the work is scheduled, other methods and other
work go on, and the outage is logged once when it starts and once when it ends."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from slack_sdk import WebClient

from bot.alerts.tables import TriageGroupRecord
from bot.alerts.triage.worker import TriageWorker
from bot.backoff import RetryLater
from bot.clock import utcnow
from bot.config import Settings
from bot.db import session_scope
from bot.slack.client import make_web_client
from bot.slack.paced_client import SlackBackingOff
from bot.slack.triage.publisher import SlackTriagePublisher
from tests.slack.test_triage_post import accepted, alike, served_with_alerts, triage_next
from tests.slack.thread_checks import MakeApp, blocks_text, top_level_posts
from tests.support.slack import ALERTS_CHANNEL
from tests.support.slack_standin import SlackStandIn

QUICK = 0.5  # a call that returns within this did not sleep out a backoff
ROUND = 2.0  # a worker round (several queries) that sleeps out no backoff, on a busy machine
PACED_LOG = "bot.slack.paced_client"


def client_for(standin: SlackStandIn) -> WebClient:
    settings = Settings(
        _env_file=None, slack_bot_token=standin.token, slack_api_url=standin.api_url
    )
    return make_web_client(settings)


def keep_calling(call: Callable[[], object], seconds: float) -> float:
    """Call for `seconds`, as a busy worker would; the longest single call."""
    longest, until = 0.0, time.monotonic() + seconds
    while time.monotonic() < until:
        started = time.monotonic()
        with contextlib.suppress(RetryLater):
            call()
        longest = max(longest, time.monotonic() - started)
        time.sleep(0.005)
    return longest


def outage_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == PACED_LOG]


def test_a_failing_method_is_tried_with_growing_waits_and_logged_once(
    slack_standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    client = client_for(slack_standin)
    posted = client.chat_postMessage(channel=ALERTS_CHANNEL, text="counter 0")
    slack_standin.outage("chat.update", seconds=2.5)

    def update() -> object:
        return client.chat_update(channel=ALERTS_CHANNEL, ts=posted["ts"], text="counter 1")

    longest = keep_calling(update, 2.5)
    assert longest < QUICK, f"a call slept {longest:.2f} s"
    sent = slack_standin.calls("chat.update")
    assert 2 <= len(sent) <= 4, [round(c.at - sent[0].at, 2) for c in sent]
    assert client.chat_postMessage(channel=ALERTS_CHANNEL, text="other methods work")["ok"]

    deadline = time.monotonic() + 10
    while not slack_standin.calls("chat.update", ok=True):
        assert time.monotonic() < deadline, "chat.update never came back"
        keep_calling(update, 0.1)
    started, recovered = outage_lines(caplog)
    assert "chat.update is failing (HTTP 500)" in started
    assert "chat.update answers again after" in recovered
    assert not [r for r in caplog.records if r.exc_info]


def test_retry_after_is_honoured_without_sleeping_on_the_caller(
    slack_standin: SlackStandIn,
) -> None:
    client = client_for(slack_standin)
    slack_standin.rate_limit_for("chat.postMessage", seconds=20)
    started = time.monotonic()
    with pytest.raises(SlackBackingOff, match="ratelimited") as refused:
        client.chat_postMessage(channel=ALERTS_CHANNEL, text="later")
    assert time.monotonic() - started < QUICK * 2
    wait = (refused.value.retry_at - utcnow()).total_seconds()
    assert 18 <= wait <= 22, wait
    with pytest.raises(SlackBackingOff):
        client.chat_postMessage(channel=ALERTS_CHANNEL, text="still later")
    assert len(slack_standin.calls("chat.postMessage")) == 1  # the second was never sent
    assert client.auth_test()["ok"]  # another method is not held up


def test_duplicate_counters_wait_out_a_slack_outage_instead_of_hammering_it(
    slack_app: MakeApp, slack_standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    served = served_with_alerts(slack_app)
    groups = [accepted(served, alike(n))[1] for n in range(5)]
    for group_id in groups:
        triage_next(served, group_id)
    for n in range(5):
        accepted(served, alike(n))  # one duplicate for each post
    worker = TriageWorker(
        served.runtime, SlackTriagePublisher(served.service.ctx), duplicate_seconds=0
    )
    caplog.set_level(logging.INFO)
    slack_standin.outage("chat.update", seconds=3)

    longest = keep_calling(worker.run_once, 3)

    assert longest < ROUND, f"a worker round took {longest:.2f} s"
    assert len(slack_standin.calls("chat.update")) <= 4
    assert not [r for r in caplog.records if r.exc_info], "a traceback per attempt"
    deadline = time.monotonic() + 15
    while len(slack_standin.calls("chat.update", ok=True)) < 5:
        assert time.monotonic() < deadline, "the counters were not brought up to date"
        keep_calling(worker.run_once, 0.2)
    for post in top_level_posts(slack_standin, ALERTS_CHANNEL):
        assert "Seen 1 more time" in blocks_text(post)
    assert len(outage_lines(caplog)) == 2


def test_a_rate_limited_triage_post_is_scheduled_and_triage_goes_on(
    slack_app: MakeApp, slack_standin: SlackStandIn
) -> None:
    served = served_with_alerts(slack_app)
    first, second = (accepted(served, alike(n))[1] for n in range(2))
    slack_standin.rate_limit_for("chat.postMessage", seconds=30)
    worker = TriageWorker(served.runtime, SlackTriagePublisher(served.service.ctx))

    started = time.monotonic()
    done = [worker.run_once(), worker.run_once()]
    assert time.monotonic() - started < 10, "triage waited out Slack's Retry-After"
    assert [d.group_id for d in done if d is not None] == [first, second]
    with session_scope(served.runtime.engine) as session:
        rows = [session.get(TriageGroupRecord, g) for g in (first, second)]
    for row in rows:
        assert row is not None and row.publish_pending
        assert row.next_attempt_at.replace(tzinfo=utcnow().tzinfo) >= utcnow() + timedelta(
            seconds=25
        )
    assert len(slack_standin.calls("chat.postMessage")) == 1  # the second was not sent
    assert top_level_posts(slack_standin, ALERTS_CHANNEL) == []
