"""The weekly post: exactly once per ISO week across racing workers and restarts, a failed
post retried, a dead worker's claim taken over, the Slack message with its chart (files
upload v2), and the log instead when Slack is not configured. The schedule is in
test_scheduler.py."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import text

from bot.digest.publish import LogPoster, PostOutcome, post_due_digest
from bot.digest.store import MAX_ATTEMPTS, STALE_CLAIM, claim_week, get_post
from bot.runtime import Runtime
from bot.slack.digest_poster import SlackDigestPoster, make_poster
from tests.support.approvals import audit_rows
from tests.support.slack_standin import SlackStandIn

CHANNEL = "C0DIGEST"
TUESDAY = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)  # W48: the W47 post was due yesterday
PNG = b"\x89PNG\r\n\x1a\n"


def poster_for(standin: SlackStandIn) -> SlackDigestPoster:
    return SlackDigestPoster(WebClient(token=standin.token, base_url=standin.api_url), CHANNEL)


@pytest.fixture
def workers(make_runtime: Callable[..., Runtime]) -> Iterator[list[Runtime]]:
    """Three runtimes on one database, as three worker processes would be."""
    first = make_runtime()
    yield [first, make_runtime(seed=False), make_runtime(seed=False)]


def race(calls: list[Callable[[], PostOutcome]]) -> list[PostOutcome]:
    start = threading.Barrier(len(calls))
    outcomes: list[PostOutcome] = []

    def run(call: Callable[[], PostOutcome]) -> None:
        start.wait()
        outcomes.append(call())

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def test_racing_workers_post_the_week_exactly_once(
    workers: list[Runtime], slack_standin: SlackStandIn
) -> None:
    calls = [
        lambda runtime=runtime: post_due_digest(runtime, poster_for(slack_standin), now=TUESDAY)
        for runtime in workers
        for _ in range(2)
    ]
    outcomes = race(calls)
    assert sorted(o.status for o in outcomes) == ["posted"] + ["skipped"] * 5
    assert {o.week for o in outcomes} == {"2026-W47"}
    [message] = slack_standin.calls("chat.postMessage")
    assert message.params["channel"] == CHANNEL
    [upload] = slack_standin.uploads
    assert upload.completed and upload.data.startswith(PNG)
    post = get_post(workers[0].engine, "2026-W47")
    assert (
        post is not None and post.status == "posted" and post.message_ts == message.response["ts"]
    )
    [audited] = audit_rows(workers[0], "digest.posted")
    assert audited["data"]["week"] == "2026-W47" and audited["actor"] == "scheduler"
    assert audited["data"]["ts"] == post.message_ts and audited["data"]["head_seq"] == post.head_seq


def test_the_chart_goes_into_the_posts_thread(
    workers: list[Runtime], slack_standin: SlackStandIn
) -> None:
    post_due_digest(workers[0], poster_for(slack_standin), now=TUESDAY)
    [message] = slack_standin.calls("chat.postMessage")
    blocks = message.params["blocks"]
    assert blocks[0]["type"] == "header" and "2026-W47" in blocks[0]["text"]["text"]
    assert any("Credentials" in b.get("text", {}).get("text", "") for b in blocks)
    [complete] = slack_standin.calls("files.completeUploadExternal")
    assert complete.params["thread_ts"] == message.response["ts"]
    assert complete.params["channel_id"] == CHANNEL
    [upload] = slack_standin.uploads
    assert upload.filename == "socbot-digest-2026-W47.png"


def test_a_restart_after_a_missed_monday_posts_once(
    workers: list[Runtime], slack_standin: SlackStandIn
) -> None:
    """No worker ran on Monday 09:00. The first to start on Tuesday posts; a restart later
    that day, and the next Monday's run for the week after, do not repeat it."""
    first = post_due_digest(workers[0], poster_for(slack_standin), now=TUESDAY)
    again = post_due_digest(workers[1], poster_for(slack_standin), now=TUESDAY + timedelta(hours=5))
    assert (first.status, again.status) == ("posted", "skipped")
    next_week = post_due_digest(
        workers[2], poster_for(slack_standin), now=TUESDAY + timedelta(days=6, hours=2)
    )
    assert (next_week.week, next_week.status) == ("2026-W48", "posted")
    assert len(slack_standin.calls("chat.postMessage")) == 2


def test_a_failed_post_is_retried_by_a_later_run(
    workers: list[Runtime], slack_standin: SlackStandIn
) -> None:
    slack_standin.error_next("chat.postMessage", "channel_not_found")
    failed = post_due_digest(workers[0], poster_for(slack_standin), now=TUESDAY)
    assert failed.status == "failed" and "channel_not_found" in failed.detail
    row = get_post(workers[0].engine, "2026-W47")
    assert row is not None and row.status == "failed" and "channel_not_found" in (row.error or "")
    retried = post_due_digest(
        workers[1], poster_for(slack_standin), now=TUESDAY + timedelta(minutes=15)
    )
    assert retried.status == "posted"
    row = get_post(workers[0].engine, "2026-W47")
    assert row is not None and row.attempts == 2 and row.error is None
    assert len(slack_standin.calls("chat.postMessage", ok=True)) == 1


def test_retries_stop_after_the_last_attempt(workers: list[Runtime]) -> None:
    engine, now = workers[0].engine, TUESDAY
    assert claim_week(engine, "2026-W47", "a", now)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE digest_post SET status = 'failed', attempts = :n WHERE week = '2026-W47'"),
            {"n": MAX_ATTEMPTS},
        )
    assert not claim_week(engine, "2026-W47", "b", now + timedelta(hours=1))


def test_a_claim_left_by_a_dead_worker_is_taken_over_once_it_is_stale(
    workers: list[Runtime], slack_standin: SlackStandIn
) -> None:
    engine = workers[0].engine
    assert claim_week(engine, "2026-W47", "host:4242:dead", TUESDAY)  # then it died
    soon = post_due_digest(
        workers[1], poster_for(slack_standin), now=TUESDAY + timedelta(minutes=5)
    )
    assert soon.status == "skipped"  # the claim may still be alive
    later = TUESDAY + STALE_CLAIM + timedelta(minutes=1)
    taken = post_due_digest(workers[1], poster_for(slack_standin), now=later)
    assert taken.status == "posted"
    assert len(slack_standin.calls("chat.postMessage")) == 1


def test_a_chart_slack_refuses_does_not_undo_the_post(
    workers: list[Runtime], slack_standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    slack_standin.error_next("files.completeUploadExternal", "invalid_channel")
    with caplog.at_level(logging.WARNING):
        outcome = post_due_digest(workers[0], poster_for(slack_standin), now=TUESDAY)
    assert outcome.status == "posted"
    assert "chart was refused" in caplog.text


def test_without_slack_the_digest_is_logged_and_says_why(
    workers: list[Runtime], caplog: pytest.LogCaptureFixture
) -> None:
    poster = make_poster(workers[0].settings)
    assert isinstance(poster, LogPoster)
    with caplog.at_level(logging.WARNING):
        outcome = post_due_digest(workers[0], poster, now=TUESDAY)
    assert outcome.status == "logged"
    assert (
        "SOCBOT_DIGEST_CHANNEL" in caplog.text
        and "socbot governance digest, 2026-W47" in caplog.text
    )
    again = post_due_digest(workers[1], make_poster(workers[1].settings), now=TUESDAY)
    assert again.status == "skipped"
    assert audit_rows(workers[0], "digest.posted") == []


def test_the_next_digest_checks_the_head_the_last_one_remembered(
    workers: list[Runtime], slack_standin: SlackStandIn
) -> None:
    runtime = workers[0]
    post_due_digest(runtime, poster_for(slack_standin), now=TUESDAY)
    remembered = get_post(runtime.engine, "2026-W47")
    assert remembered is not None and remembered.head_seq
    cut_from(runtime, remembered.head_seq)
    post_due_digest(runtime, poster_for(slack_standin), now=TUESDAY + timedelta(days=7))
    [_, message] = slack_standin.calls("chat.postMessage")
    assert "rows cut from the end" in json.dumps(message.params["blocks"])


def cut_from(runtime: Runtime, seq: int) -> None:
    """Delete audit rows from seq on, behind the app's back."""
    with runtime.engine.begin() as conn:
        if runtime.engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        else:
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))
        conn.execute(text("DELETE FROM audit_event WHERE seq >= :seq"), {"seq": seq})


def test_configured_slack_posts_through_the_bots_client(
    make_runtime: Callable[..., Runtime], slack_standin: SlackStandIn
) -> None:
    runtime = make_runtime(
        slack_bot_token=slack_standin.token,
        slack_api_url=slack_standin.api_url,
        slack_digest_channel=CHANNEL,
    )
    poster = make_poster(runtime.settings)
    assert isinstance(poster, SlackDigestPoster) and CHANNEL in poster.where
    assert post_due_digest(runtime, poster, now=TUESDAY).status == "posted"
    [message] = slack_standin.calls("chat.postMessage")
    assert message.token == slack_standin.token
