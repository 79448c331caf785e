"""The alert-intake channel: alerts other integrations post into it are taken in through the
intake (via "slack"), from the message text, a code block or an attachment; a rejection is
answered in the message's thread; chatter, replies, edits and socbot's own posts are left alone.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from sqlmodel import select

import bot.demo_alerts
from bot.alerts.tables import AlertRecord, RejectedAlert
from bot.db import session_scope
from bot.slack.blocks.escape import entities
from tests.slack.thread_checks import (
    INTAKE_CHANNEL,
    MakeApp,
    audit_rows,
    post_and_settle,
    replies_in,
)
from tests.support.slack import BOT_USER_ID, ServedSlack, message
from tests.support.slack_standin import SlackStandIn

DEMO = Path(bot.demo_alerts.__file__).parent
ALERT: dict[str, Any] = json.loads((DEMO / "01-okta-mfa-push-fatigue.json").read_text())
INTEGRATION = "B0INTEGRATION"


def slack_text(raw: str) -> str:
    """Text as Slack delivers it: & < > as entities, a bare URL wrapped in <…>."""
    return entities(raw).replace(
        "https://okta.example/a?x=1&amp;y=2", "<https://okta.example/a?x=1&amp;y=2>"
    )


def from_integration(text: str, subtype: str = "bot_message", **extra: Any) -> dict[str, Any]:
    return message(
        text, user=None, channel=INTAKE_CHANNEL, bot_id=INTEGRATION, subtype=subtype, **extra
    )


def stored(served: ServedSlack) -> tuple[list[AlertRecord], list[RejectedAlert]]:
    with session_scope(served.runtime.engine) as session:
        alerts = list(session.exec(select(AlertRecord)).all())
        rejected = list(session.exec(select(RejectedAlert)).all())
    return alerts, rejected


def wait_for_intake(served: ServedSlack, count: int, timeout: float = 10.0) -> None:
    """Until `count` alerts or rejections are stored, then until the workers are idle."""
    deadline = time.monotonic() + timeout
    while sum(len(rows) for rows in stored(served)) < count:
        assert time.monotonic() < deadline, f"intake did not store {count} rows in {timeout}s"
        time.sleep(0.02)
    served.wait_idle()


def test_an_alert_in_a_code_block_is_taken_in(
    slack_app: MakeApp, slack_standin: SlackStandIn
) -> None:
    alert = {**ALERT, "displayMessage": "Push denied & retried <again>"}
    alert["debugContext"] = {"debugData": {"url": "https://okta.example/a?x=1&y=2"}}
    served = slack_app(slack_alert_intake_channel=INTAKE_CHANNEL)
    body = json.dumps(alert, indent=1)

    served.post_event(from_integration(f"New Okta alert:\n```json\n{slack_text(body)}\n```"))
    wait_for_intake(served, 1)

    [record], rejected = stored(served)
    assert rejected == [] and record.via == "slack"
    raw = json.loads(record.normalized)["raw"]
    assert raw["displayMessage"] == "Push denied & retried <again>"
    assert raw["debugContext"]["debugData"]["url"] == "https://okta.example/a?x=1&y=2"
    [received] = audit_rows(served.runtime, "alert.received")
    assert received["actor"] == "alert:slack" and received["data"]["alert_id"] == record.id
    assert slack_standin.calls("chat.postMessage") == []  # accepted alerts are not answered


def test_an_alert_in_an_attachment_is_taken_in(slack_app: MakeApp) -> None:
    served = slack_app(slack_alert_intake_channel=INTAKE_CHANNEL)
    attachment = {"fallback": "Okta alert", "color": "danger", "text": json.dumps(ALERT)}

    served.post_event(from_integration("Okta alert", attachments=[attachment]))
    wait_for_intake(served, 1)

    [record], _ = stored(served)
    assert record.via == "slack" and record.event_type == ALERT["eventType"]


def test_a_rejected_alert_is_answered_in_its_thread(
    slack_app: MakeApp, slack_standin: SlackStandIn
) -> None:
    served = slack_app(slack_alert_intake_channel=INTAKE_CHANNEL)
    event = from_integration('```{"eventType": "user.session.start", "actor": <broken```')

    post_and_settle(served, event, posts=1)

    [], [rejected] = stored(served)
    assert rejected.via == "slack"
    [reply] = replies_in(slack_standin, INTAKE_CHANNEL, event["ts"])
    assert f"Rejected id: `{rejected.id}`" in reply["text"]
    assert entities(rejected.reason) in reply["text"] and "Not taken in" in reply["text"]


def test_chatter_replies_edits_and_own_posts_are_left_alone(
    slack_app: MakeApp, slack_standin: SlackStandIn
) -> None:
    served = slack_app(slack_alert_intake_channel=INTAKE_CHANNEL)
    root = from_integration(json.dumps(ALERT))
    ignored = [
        message("morning all, anything odd overnight?", channel=INTAKE_CHANNEL),
        message(json.dumps(ALERT), channel=INTAKE_CHANNEL, thread_ts=root["ts"]),
        from_integration(json.dumps(ALERT), subtype="message_changed"),
        message(json.dumps(ALERT), channel=INTAKE_CHANNEL, user=BOT_USER_ID),
        message("{not json", channel=INTAKE_CHANNEL, user=BOT_USER_ID),
    ]
    for event in ignored:
        assert served.post_event(event).status == 200

    served.post_event(root)  # one that counts, after them: taken in, and alone
    wait_for_intake(served, 1)
    time.sleep(0.2)  # room for any wrongly taken message to be stored too
    served.wait_idle()

    alerts, rejected = stored(served)
    assert len(alerts) == 1 and rejected == []
    assert slack_standin.calls("chat.postMessage") == []
