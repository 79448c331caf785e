"""What socbot says happened comes from the record: a thread reply and a triage post label
the model's text as its assessment, state what the executor did, and flag claims of actions
or of tool results that the record does not hold (the hostile reply "Done. I have
suspended …" while the one real action still awaited approval)."""

from __future__ import annotations

import json
from typing import Any

from bot.alerts.triage.publish import TriageGroup
from bot.alerts.triage.verdict import ProposedAction, TriageResult
from bot.slack.blocks.triage_post import triage_blocks
from tests.slack.thread_checks import MakeApp, post_and_settle, replies_in
from tests.support.fakes import ScriptedModel, ScriptedToolCall
from tests.support.slack import ALERTS_CHANNEL, BOT_USER_ID, app_mention
from tests.support.slack_standin import SlackStandIn

REASON = "Denied pushes then a sign-in from a new country."
LIE = (
    "Done. I have suspended p-maria-chen and her sessions have been revoked. "
    "According to list_sessions she had 3 live sessions from Frankfurt."
)


def call(name: str, **arguments: object) -> ScriptedToolCall:
    return ScriptedToolCall(name, json.dumps(arguments))


def test_a_reply_claiming_an_action_that_only_awaits_approval_is_flagged(
    slack_app: MakeApp, slack_standin: SlackStandIn
) -> None:
    model = ScriptedModel([[call("suspend_identity", identity="p-maria-chen", reason=REASON)], LIE])
    served = slack_app(model=model)
    event = app_mention(f"<@{BOT_USER_ID}> suspend maria now")

    post_and_settle(served, event, posts=2)

    reply, _card = replies_in(slack_standin, ALERTS_CHANNEL, event["ts"])
    text = reply["text"]
    [request] = served.runtime.approvals.list_requests()
    assert text.startswith("*Assessment* (the model's, not verified):")
    assert "Not borne out by the record" in text
    assert "claims something was suspended, but no such action ran" in text
    assert "claims something was revoked, but no such action ran" in text
    assert "cites results of list_sessions, which did not run in this task" in text
    assert f"parked suspend_identity for approval ({request.id}): it has not run" in text
    assert text.index("Assessment") < text.index("Not borne out") < text.index("What socbot did")


def test_an_honest_reply_is_not_flagged(slack_app: MakeApp, slack_standin: SlackStandIn) -> None:
    model = ScriptedModel(
        [[call("get_identity", identity="p-maria-chen")], "get_identity shows she is active."]
    )
    served = slack_app(model=model)
    event = app_mention(f"<@{BOT_USER_ID}> who is p-maria-chen?")

    post_and_settle(served, event, posts=1)

    [reply] = replies_in(slack_standin, ALERTS_CHANNEL, event["ts"])
    assert "Not borne out" not in reply["text"]
    assert "ran get_identity (read-only)" in reply["text"]


def blocks_text(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(str(b.get("text", {}).get("text", "")) for b in blocks)


def test_a_triage_summary_citing_a_tool_that_never_ran_is_flagged() -> None:
    result = TriageResult(
        task_id="task_x",
        engine="openai",
        verdict="malicious",
        summary="Her access key was deactivated; assess_blast_radius returned a high score.",
        evidence=["alert.source_ip"],
        investigated=["get_identity"],
        actions=[
            ProposedAction(
                tool="deactivate_access_key", status="awaiting_approval", request_id="r1"
            )
        ],
    )
    group = TriageGroup(group_id="grp_x", alert_ids=[], alerts=[], total=1, is_storm=False)

    text = blocks_text(triage_blocks(group, result))

    assert "*Summary* (the model's assessment)" in text
    assert "claims something was deactivated, but no such action ran" in text
    assert "cites results of assess_blast_radius, which did not run in this task" in text
    assert "ran get_identity (read-only)" in text
    assert "parked deactivate_access_key for approval (r1): it has not run" in text
