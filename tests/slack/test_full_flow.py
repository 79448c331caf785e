"""The whole way through, over real HTTP: an Okta alert is POSTed to the webhook, the queue
worker triages it and the Slack publisher posts it with an approval card, an approver reacts
(a signed reaction_added event), the action runs in the lab, the result is told in the
thread, an analyst's question in that thread is answered, and `socbot audit verify` passes.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from sqlalchemy import text

import bot.demo_alerts
from bot.actions.approvals import EXECUTED, PENDING
from bot.alerts.intake.signature import signed_headers
from bot.alerts.triage.worker import TriageWorker
from bot.cli import main
from bot.config import get_settings
from bot.slack.triage.publisher import SlackTriagePublisher
from tests.slack.thread_checks import (
    MakeApp,
    audit_rows,
    blocks_text,
    post_and_settle,
    replies_in,
    top_level_posts,
)
from tests.support.approvals import live_session_count, tool_runs
from tests.support.slack import ALERTS_CHANNEL, BOT_USER_ID, app_mention, http_request, reaction
from tests.support.slack_standin import SlackStandIn, SlackUser

ALERT_BYTES = (Path(bot.demo_alerts.__file__).parent / "01-okta-mfa-push-fatigue.json").read_bytes()
OKTA_SECRET = "okta-webhook-secret-for-tests"
APPROVER = "U0IDADMIN1"  # identity-admins in policy.yaml: may approve revoke_sessions
TARGET = "p-maria-chen"


def wait_until(condition: object, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_alert_to_triage_post_to_approval_to_execution_to_verified_audit(
    slack_app: MakeApp,
    slack_standin: SlackStandIn,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    slack_standin.add_user(SlackUser(APPROVER, email="ada.admin@lab.example", real_name="Ada"))
    served = slack_app(
        slack_alerts_channel=ALERTS_CHANNEL, alert_secrets={"okta": OKTA_SECRET}
    )  # the offline engine triages: it investigates, then asks to revoke the sessions
    runtime = served.runtime
    sessions_before = live_session_count(runtime, TARGET)
    assert sessions_before > 0

    # 1. The alert arrives at the webhook, signed by its sender.
    headers = {"Content-Type": "application/json", **signed_headers(OKTA_SECRET, ALERT_BYTES)}
    answer = http_request("POST", served.url + "/alerts/okta", ALERT_BYTES, headers)
    assert answer.status == 202, answer.body
    alert_id = answer.json()["alert_id"]

    # 2. The queue worker triages it and the Slack publisher posts it.
    done = TriageWorker(runtime, SlackTriagePublisher(served.service.ctx)).run_once()
    assert done is not None and done.status == "done" and done.result is not None
    [post] = top_level_posts(slack_standin, ALERTS_CHANNEL)
    assert "Malicious" in blocks_text(post)

    # 3. The approval card for revoke_sessions sits in the post's thread; nothing ran yet.
    [request] = [r for r in runtime.approvals.list_requests() if r.tool == "revoke_sessions"]
    assert request.status == PENDING and request.slack_channel == ALERTS_CHANNEL
    thread = replies_in(slack_standin, ALERTS_CHANNEL, post["ts"])
    assert request.slack_ts in {m["ts"] for m in thread}
    assert live_session_count(runtime, TARGET) == sessions_before

    # 4. An approver reacts on the card: a signed event, over HTTP.
    approve = reaction("white_check_mark", channel=ALERTS_CHANNEL, ts=str(request.slack_ts))
    approve["user"] = APPROVER
    assert served.post_event(approve).status == 200
    wait_until(lambda: runtime.approvals.get(request.id).status == EXECUTED, "the execution")
    served.wait_idle()

    # 5. The action ran once in the lab, and the thread says so.
    assert live_session_count(runtime, TARGET) == 0
    assert tool_runs(runtime, "revoke_sessions") == 1
    wait_until(
        lambda: any(
            request.id in blocks_text(m) and m["ts"] not in {x["ts"] for x in thread}
            for m in replies_in(slack_standin, ALERTS_CHANNEL, post["ts"])
        ),
        "the result in the thread",
    )
    [executed] = [
        r for r in audit_rows(runtime, "action.executed") if r["data"]["request_id"] == request.id
    ]
    assert executed["tool"] == "revoke_sessions"

    # 6. An analyst asks in the thread; the answer comes with the alert's facts at hand.
    posts = len(slack_standin.calls("chat.postMessage"))
    question = app_mention(f"<@{BOT_USER_ID}> is {TARGET} contained now?", thread_ts=post["ts"])
    post_and_settle(served, question, posts=posts + 1)
    answer_ts = {m["ts"] for m in replies_in(slack_standin, ALERTS_CHANNEL, post["ts"])}
    assert len(answer_ts) > len(thread) + 1

    # 7. The audit trail links it all, and `socbot audit verify` checks the chain.
    [received] = audit_rows(runtime, "alert.received")
    [posted] = audit_rows(runtime, "triage.posted")
    assert received["data"]["alert_id"] == alert_id
    assert posted["data"]["ts"] == post["ts"] and alert_id in posted["data"]["alert_ids"]
    [granted] = audit_rows(runtime, "approval.granted")
    assert granted["actor"] == APPROVER
    with runtime.engine.connect() as conn:
        tasks = {row[0] for row in conn.execute(text("SELECT kind FROM task"))}
    assert {"triage", "thread"} <= tasks
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SOCBOT_POLICY", str(runtime.settings.policy_path))
    get_settings.cache_clear()
    capsys.readouterr()
    try:
        code = main(["audit", "verify"])
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert code == 0, out
    checked = re.search(r"audit chain ok: (\d+) events", out)
    assert checked is not None, out
    assert int(checked[1]) == len(audit_rows(runtime))
