"""Analyst feedback: :+1: / :-1: on a triage post (signed reaction events over HTTP) is audited
as analyst.feedback with the post's group; any other reaction or message is not feedback."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import bot.demo_alerts
from bot.alerts.intake.pipeline import Intake
from bot.alerts.triage.worker import TriageWorker
from bot.slack.triage.publisher import SlackTriagePublisher
from tests.slack.thread_checks import MakeApp, audit_rows, replies_in, top_level_posts
from tests.support.slack import ALERTS_CHANNEL, ANALYST, BOT_USER_ID, ServedSlack, reaction
from tests.support.slack_standin import SlackStandIn

ALERT: dict[str, Any] = json.loads(
    (Path(bot.demo_alerts.__file__).parent / "01-okta-mfa-push-fatigue.json").read_text()
)
SECOND_ANALYST = "U0ANALYST2"


def triage_posted(served: ServedSlack) -> tuple[str, str, str]:
    """Take in and triage the demo alert; (group id, alert id, the post's ts)."""
    outcome = Intake(served.runtime).accept(ALERT, via="webhook")
    done = TriageWorker(served.runtime, SlackTriagePublisher(served.service.ctx)).run_once()
    assert done is not None and done.status == "done"
    [post] = top_level_posts(served.standin, ALERTS_CHANNEL)
    return done.group_id, str(outcome.alert_id), str(post["ts"])


def wait_for_feedback(served: ServedSlack, count: int, timeout: float = 10.0) -> list[Any]:
    deadline = time.monotonic() + timeout
    while len(rows := audit_rows(served.runtime, "analyst.feedback")) < count:
        assert time.monotonic() < deadline, f"expected {count} feedback rows, got {len(rows)}"
        time.sleep(0.02)
    served.wait_idle()
    return rows


def test_thumbs_on_a_triage_post_are_recorded_as_feedback(
    slack_app: MakeApp, slack_standin: SlackStandIn
) -> None:
    served = slack_app(slack_alerts_channel=ALERTS_CHANNEL)
    group_id, alert_id, post_ts = triage_posted(served)

    served.post_event(reaction("+1", channel=ALERTS_CHANNEL, ts=post_ts))
    served.post_event(
        reaction("-1::skin-tone-3", channel=ALERTS_CHANNEL, ts=post_ts, user=SECOND_ANALYST)
    )
    rows = wait_for_feedback(served, 2)

    by_actor = {row["actor"]: row["data"] for row in rows}
    base = {"group_id": group_id, "alert_ids": [alert_id], "channel": ALERTS_CHANNEL, "ts": post_ts}
    assert by_actor == {
        ANALYST: {**base, "rating": "agree"},
        SECOND_ANALYST: {**base, "rating": "disagree"},
    }


def test_other_reactions_and_messages_are_not_feedback(
    slack_app: MakeApp, slack_standin: SlackStandIn
) -> None:
    served = slack_app(slack_alerts_channel=ALERTS_CHANNEL)
    _, _, post_ts = triage_posted(served)
    draft = next(
        m
        for m in replies_in(slack_standin, ALERTS_CHANNEL, post_ts)
        if "Draft recommendation" in m["text"]
    )
    not_feedback = [
        reaction("eyes", channel=ALERTS_CHANNEL, ts=post_ts),
        reaction("+1", channel=ALERTS_CHANNEL, ts=draft["ts"]),
        reaction("+1", channel=ALERTS_CHANNEL, ts=post_ts, added=False),
        reaction("+1", channel=ALERTS_CHANNEL, ts=post_ts, user=BOT_USER_ID),
    ]
    for event in not_feedback:
        assert served.post_event(event).status == 200

    served.post_event(reaction("thumbsup", channel=ALERTS_CHANNEL, ts=post_ts))  # one that counts
    wait_for_feedback(served, 1)
    time.sleep(0.2)  # room for any wrongly counted reaction to land too
    served.wait_idle()

    [row] = audit_rows(served.runtime, "analyst.feedback")
    assert (row["actor"], row["data"]["rating"], row["data"]["ts"]) == (ANALYST, "agree", post_ts)
