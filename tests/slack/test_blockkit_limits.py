"""Block Kit messages stay within Slack's limits on extreme but possible input: the five
sections that had no cap (approvers, blast radius, action result, triage actions, evidence),
cut after escaping with a pointer to the full view, and always a text fallback.

Each extreme input is first shown to break a limit when nothing fits it (the `unfitted`
runs), so these tests fail if the input stops being extreme or the fitting stops working.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

import bot.slack.blocks.approval_card as cards_module
import bot.slack.blocks.triage_post as triage_module
from bot.actions.approvals import ApproverRule
from bot.alerts.triage.publish import TriageGroup
from bot.alerts.triage.verdict import ProposedAction, TriageResult
from bot.clock import utcnow
from bot.errors import BlockKitError
from bot.runtime import Runtime
from bot.slack.blockkit import Message, fit_message, fit_text
from bot.slack.blocks.approval_card import CardView, approval_card, result_reply
from bot.slack.blocks.escape import entities
from bot.slack.blocks.triage_post import triage_blocks
from bot.slack.client import FittingWebClient
from tests.support.blockkit_limits import problems
from tests.support.slack_standin import SlackStandIn

MakeRuntime = Callable[..., Runtime]
NASTY = "<&>@here `x` "  # every character here grows or matters when escaped
NOTE = "(cut; see `"


def _passthrough(blocks: list[dict[str, Any]], text: str, **_: Any) -> Message:
    return Message(blocks, text)


@pytest.fixture(params=["fitted", "unfitted"])
def fitting(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[bool]:
    """Run each case twice: as shipped, and with fitting switched off to show the input is
    extreme enough to break a limit."""
    if request.param == "unfitted":
        monkeypatch.setattr(cards_module, "fit_message", _passthrough)
        monkeypatch.setattr(triage_module, "fit_message", _passthrough)
    yield request.param == "fitted"


def check(blocks: list[dict[str, Any]], fitted: bool, full_view: str) -> None:
    found = problems(blocks)
    if not fitted:
        assert found, "the extreme input no longer breaks any limit"
        return
    assert found == []
    assert f"{NOTE}{full_view}" in json.dumps(blocks, ensure_ascii=False)


def triage_result(**changes: Any) -> TriageResult:
    base = {
        "task_id": "task_extreme",
        "engine": "offline",
        "verdict": "suspicious",
        "severity": "high",
        "summary": "x",
    }
    return TriageResult(**{**base, **changes})


GROUP = TriageGroup(group_id="grp_1", alert_ids=["alr_1"], alerts=[], total=1)


def test_a_blast_radius_of_thousands_of_components(fitting: bool) -> None:
    breakdown = [{"component": f"{NASTY}{i}", "count": i + 1, "weight": 3} for i in range(2000)]
    result = triage_result(blast_radius={"identity": "p-x", "score": 99, "breakdown": breakdown})
    check(triage_blocks(GROUP, result), fitting, "socbot audit show task_extreme")


def test_hundreds_of_triage_actions(fitting: bool) -> None:
    actions = [
        ProposedAction(tool=f"tool_{i}", status="denied", detail={"reason": NASTY * 20})
        for i in range(600)
    ]
    check(triage_blocks(GROUP, triage_result(actions=actions)), fitting, "socbot audit show")


@pytest.fixture
def parked(make_runtime: MakeRuntime) -> tuple[Runtime, str]:
    runtime = make_runtime()
    # Long field names and values of characters that grow when escaped.
    evidence = {"alert": {f"{'&' * 70}{i:02d}": "<" * 400 for i in range(40)}}
    with runtime.tasks.run("triage", "alert:test", runtime.task_limits()) as task:
        outcome = runtime.executor.call(
            task,
            "revoke_sessions",
            {"identity": "p-maria-chen", "reason": "Okta MFA push fatigue burst"},
            actor="alert:test",
            evidence=evidence,
        )
    assert outcome.request_id is not None
    return runtime, outcome.request_id


def card_of(runtime: Runtime, request_id: str, rule: ApproverRule | None) -> list[Any]:
    request = runtime.approvals.get(request_id)
    view = CardView(request=request, approvals=[], rule=rule, blast_radius=None, now=utcnow())
    card = approval_card(view)
    assert card.text
    return card.blocks


def blocks_named(blocks: list[Any], block_id: str) -> list[Any]:
    return [b for b in blocks if b.get("block_id") == block_id]


def test_thousands_of_approvers_on_a_card(parked: tuple[Runtime, str], fitting: bool) -> None:
    runtime, request_id = parked
    users = frozenset(f"U{i:08d}" for i in range(3000))
    groups = frozenset(f"S{i:08d}" for i in range(500))
    blocks = card_of(runtime, request_id, ApproverRule(users, groups, 2))
    check(blocks_named(blocks, "approvers"), fitting, f"socbot actions show {request_id}")


def test_long_alert_evidence_on_a_card(parked: tuple[Runtime, str], fitting: bool) -> None:
    runtime, request_id = parked
    blocks = card_of(runtime, request_id, runtime.approver_rule("revoke_sessions"))
    check(blocks_named(blocks, "why"), fitting, f"socbot actions show {request_id}")


def test_an_action_result_that_grows_when_escaped(
    parked: tuple[Runtime, str], fitting: bool
) -> None:
    runtime, request_id = parked
    request = runtime.approvals.get(request_id)
    request.result_json = json.dumps({"output": "<&>" * 2300})
    reply = result_reply(request)
    check(reply.blocks, fitting, f"socbot actions show {request_id}")
    if fitting:
        result_text = next(b["text"]["text"] for b in reply.blocks if b.get("block_id") == "result")
        assert result_text.count("```") % 2 == 0  # the code fence was closed after the cut


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="<>&`@a \n", max_size=4000), st.integers(min_value=40, max_value=3000))
def test_a_cut_never_splits_an_entity_a_mention_or_a_fence(raw: str, limit: int) -> None:
    escaped = entities(raw)
    note = "… (cut; see `socbot actions show act_1`)"
    cut = fit_text(escaped, limit, note)
    assert len(cut) <= limit
    if cut == escaped:
        return
    kept = cut[: cut.rindex(note)].rstrip("\n")
    assert kept.count("```") % 2 == 0
    if kept.endswith("```"):
        kept = kept[:-3]
    assert escaped.startswith(kept)
    tail = kept[kept.rfind("&") :] if "&" in kept else ""
    assert not tail or tail.startswith(("&amp;", "&lt;", "&gt;")), tail


def test_fifty_blocks_at_most_and_a_fallback_text_always() -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"b{i}"}} for i in range(80)]
    message = fit_message(blocks, "", full_view="socbot actions show act_9")
    assert len(message.blocks) == 50 and problems(message.blocks) == []
    assert "31 more blocks" in json.dumps(message.blocks)
    assert message.text == "b0"


def test_a_button_value_over_the_limit_is_a_bug_not_a_cut() -> None:
    button = {"type": "button", "action_id": "go", "text": {"type": "plain_text", "text": "Go"}}
    blocks = [{"type": "actions", "elements": [{**button, "value": "v" * 2001}]}]
    with pytest.raises(BlockKitError, match="2001"):
        fit_message(blocks, "text")


def test_a_header_fields_and_button_text_are_cut_to_their_limits() -> None:
    fields = [{"type": "mrkdwn", "text": NASTY * 300} for _ in range(14)]
    button = {"type": "button", "text": {"type": "plain_text", "text": "b" * 90}, "value": "1"}
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 400}},
        {"type": "section", "fields": fields, "accessory": button},
    ]
    assert problems(blocks)
    assert problems(fit_message(blocks, "t").blocks) == []


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
def test_the_client_fits_what_it_sends_and_slack_refuses_what_does_not_fit() -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": NASTY * 600}}] * 60
    with SlackStandIn() as slack:
        plain = WebClient(token=slack.token, base_url=slack.api_url)
        with pytest.raises(SlackApiError) as refused:
            plain.chat_postMessage(channel="C0ALERTS", text="t", blocks=blocks)
        assert refused.value.response["error"] == "invalid_blocks"
        fitting = FittingWebClient(token=slack.token, base_url=slack.api_url)
        posted = fitting.chat_postMessage(channel="C0ALERTS", text="", blocks=blocks)
        assert posted["ok"]
        [call] = [c for c in slack.calls("chat.postMessage") if c.ok]
        assert problems(call.params["blocks"]) == [] and call.params["text"]
