"""Approval cards are drawn from the stored request only: the action they show decodes back to
exactly what runs, untrusted text comes out inert, and the status follows the request."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import bot.demo_alerts
from bot.actions.approvals import compute_action_hash
from bot.alerts.triage.run import triage_alert
from bot.clock import utcnow
from bot.runtime import Runtime
from bot.slack.approvals.blast import assess_now, blast_radius_for
from bot.slack.blocks.approval_card import CardView, approval_card, result_reply
from tests.slack.approval_scene import action_on_card, all_text
from tests.support.approvals import (
    REASON,
    audit_rows,
    execute,
    park,
    park_revoke_sessions,
    set_request_columns,
)

MakeRuntime = Callable[..., Runtime]
MFA_ALERT = Path(bot.demo_alerts.__file__).parent / "01-okta-mfa-push-fatigue.json"
REPO = Path(__file__).resolve().parents[2]
INJECTED = {
    "actor": "<!channel> maria.chen@lab.example",
    "reason": "<https://evil.example/reset|https://okta.lab.example> @here",
    "user_agent": "<@U0IDADMIN1> approve this <!here>",
    "geo": "<!subteam^S0IAMOPS> @everyone",
}


def view(runtime: Runtime, request_id: str, **kw: Any) -> CardView:
    request = runtime.approvals.get(request_id)
    return CardView(
        request=request,
        approvals=runtime.approvals.approvals_of(request_id),
        rule=runtime.approver_rule(request.tool),
        blast_radius=kw.pop("blast_radius", None),
        now=kw.pop("now", utcnow()),
        **kw,
    )


def block(blocks: list[dict[str, Any]], block_id: str) -> str:
    [found] = [b for b in blocks if b.get("block_id") == block_id]
    return str(found["text"]["text"] if "text" in found else found["elements"][0]["text"])


def park_with_evidence(runtime: Runtime, args: Mapping[str, Any], alert: dict[str, Any]) -> str:
    """Park revoke_sessions through the executor, as a triage would, with this alert as
    the evidence."""
    with runtime.tasks.run("triage", "alert:test", runtime.task_limits()) as task:
        outcome = runtime.executor.call(
            task, "revoke_sessions", dict(args), actor="alert:test", evidence={"alert": alert}
        )
    assert outcome.status == "awaiting_approval" and outcome.request_id, outcome
    return outcome.request_id


def test_the_card_action_decodes_back_to_the_stored_request(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    request_id = park_revoke_sessions(runtime)
    request = runtime.approvals.get(request_id)

    card = approval_card(view(runtime, request_id))

    shown = action_on_card(card.blocks)
    assert shown == {"tool": "revoke_sessions", "target": "p-maria-chen", "args": request.args}
    assert shown["args"] == {"identity": "p-maria-chen", "reason": REASON}
    rehashed = compute_action_hash(
        tool=shown["tool"],
        args=shown["args"],
        target=shown["target"],
        requester=request.requester,
        task_id=request.task_id,
        policy_version=request.policy_version,
    )
    assert rehashed == request.action_hash
    assert f"`{request.action_hash[:10]}`" in block(card.blocks, "meta")
    assert f"`{request_id}`" in block(card.blocks, "meta")


def test_who_may_approve_how_many_and_until_when(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    request_id = park(runtime, "suspend_identity", {"identity": "p-maria-chen", "reason": REASON})
    request = runtime.approvals.get(request_id)
    assert request.expires_at is not None

    card = approval_card(view(runtime, request_id, now=request.created_at))

    who = block(card.blocks, "approvers")
    for person in ("<@U0IDADMIN1>", "<@U0IDADMIN2>", "<@U0IDADMIN3>", "<!subteam^S0IAMOPS>"):
        assert person in who
    assert "*2* different approvers" in who
    status = block(card.blocks, "status")
    assert "0 of 2 approvals" in status
    assert f"<!date^{int(request.expires_at.timestamp())}^" in status
    assert "in 29 min" in status or "in 30 min" in status
    assert card.blocks[0]["text"]["text"] == "Approval needed: suspend_identity"
    assert ":white_check_mark:" in block(card.blocks, "howto")


def test_markup_in_alert_fields_and_arguments_comes_out_escaped(
    make_runtime: MakeRuntime,
) -> None:
    runtime = make_runtime()
    reason = "Contain now <!channel> <https://evil.example|https://good.example> @here <@U123>"
    args = {"identity": "p-maria-chen", "reason": reason}
    request_id = park_with_evidence(runtime, args, INJECTED)

    card = approval_card(view(runtime, request_id))

    # Only the approvers block, drawn from the policy, may mention anyone.
    untrusted = [b for b in card.blocks if b.get("block_id") != "approvers"]
    shown = all_text(untrusted) + card.text
    for raw in ("<!channel>", "<!here>", "<@U123>", "<@U0IDADMIN1>", "<!subteam", "<https://"):
        assert raw not in shown, raw
    assert "<" not in shown.replace("<!date^", "")  # nothing but the expiry's time tag
    assert "@here" not in shown and "@everyone" not in shown
    assert "https://" not in shown  # every URL defanged
    why = block(card.blocks, "why")
    assert "&lt;!channel&gt; maria.chen@lab.example" in why
    assert "&lt;hxxps[:]//evil.example/reset|hxxps[:]//okta.lab.example&gt;" in why
    # Escaped for display, yet the action still reads back exactly as it will run.
    assert action_on_card(card.blocks)["args"]["reason"] == reason


def test_long_arguments_are_split_but_read_back_whole(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    reason = ("<&>" * 166)[:500]
    request_id = (
        park_revoke_sessions(runtime)
        if False
        else park(runtime, "revoke_sessions", {"identity": "p-maria-chen", "reason": reason})
    )

    card = approval_card(view(runtime, request_id))

    code_blocks = [b for b in card.blocks if str(b.get("block_id")).startswith("action")]
    assert len(code_blocks) >= 2
    assert all(len(b["text"]["text"]) <= 3000 for b in card.blocks if "text" in b)
    assert action_on_card(card.blocks)["args"]["reason"] == reason


def test_the_blast_radius_comes_from_the_triage_assessment(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    result = triage_alert(runtime, json.loads(MFA_ALERT.read_text(encoding="utf-8")))
    request_id = next(a.request_id for a in result.actions if a.tool == "revoke_sessions")
    assert request_id is not None and result.blast_radius is not None
    request = runtime.approvals.get(request_id)

    blast = blast_radius_for(runtime, request)

    assert blast == result.blast_radius
    card = approval_card(view(runtime, request_id, blast_radius=blast))
    text = block(card.blocks, "blast")
    assert f"*{blast['level']}* (score {blast['score']})" in text
    assert "privileged_groups: 20 points (g-prod-deployers)" in text
    assert "directory_admin" not in text  # components worth nothing are left out


def test_the_status_follows_the_request(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    rejected = park_revoke_sessions(runtime)
    runtime.approvals.decide(rejected, "U0IDADMIN3", "reject")
    executed = park_revoke_sessions(runtime, "p-tom-becker")
    runtime.approvals.decide(executed, "U0IDADMIN2", "approve")
    execute(runtime, executed)
    voided = park_revoke_sessions(runtime, "p-lee-park")
    runtime.approvals.decide(voided, "U0IDADMIN2", "approve")
    set_request_columns(runtime, voided, target="p-maria-chen")  # no longer what was approved
    execute(runtime, voided)
    expired = park_revoke_sessions(runtime, "p-lee-park")
    runtime.approvals.expire_due(utcnow() + timedelta(hours=1))

    ids = (rejected, executed, voided, expired)
    cards = {rid: approval_card(view(runtime, rid)) for rid in ids}

    assert cards[rejected].blocks[0]["text"]["text"] == "Rejected: revoke_sessions"
    assert "Rejected* by <@U0IDADMIN3>: nothing ran" in block(cards[rejected].blocks, "status")
    assert cards[executed].blocks[0]["text"]["text"] == "Executed: revoke_sessions"
    assert "approved by <@U0IDADMIN2>" in block(cards[executed].blocks, "status")
    assert cards[voided].blocks[0]["text"]["text"] == "Voided: revoke_sessions"
    voided_status = block(cards[voided].blocks, "status")
    assert voided_status.startswith(":no_entry_sign: *Voided*: ")
    assert voided_status.endswith("Nothing ran.")
    assert cards[expired].blocks[0]["text"]["text"] == "Expired: revoke_sessions"
    assert "Expired* with 0 of 1 approvals" in block(cards[expired].blocks, "status")
    for card in cards.values():
        assert not [b for b in card.blocks if b.get("block_id") == "howto"]


def test_the_result_reply_shows_the_outcome(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    request_id = park_revoke_sessions(runtime)
    runtime.approvals.decide(request_id, "U0IDADMIN2", "approve")
    execute(runtime, request_id)
    request = runtime.approvals.get(request_id)

    reply = result_reply(request)

    assert reply.text.startswith("Executed: `revoke_sessions` on `p-maria-chen`")
    result = block(reply.blocks, "result")
    decoded = json.loads(result[result.index("```") + 3 : result.rindex("```")])
    assert decoded == json.loads(request.result_json or "null")


@pytest.mark.parametrize("emoji", [("thumbsup", "thumbsdown")])
def test_the_card_names_the_configured_emoji(make_runtime: MakeRuntime, emoji: Any) -> None:
    runtime = make_runtime()
    request_id = park_revoke_sessions(runtime)

    card = approval_card(view(runtime, request_id, emoji=emoji))

    howto = block(card.blocks, "howto")
    assert ":thumbsup: to approve" in howto and ":thumbsdown: to reject" in howto


def test_without_a_triage_assessment_the_card_asks_the_gate(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    request_id = park(runtime, "deactivate_access_key", {"key_id": "AKIAEXAMPLECIDEPLOY1",
                                                         "reason": REASON})  # fmt: skip
    request = runtime.approvals.get(request_id)
    assert blast_radius_for(runtime, request) is None

    blast = assess_now(runtime, request)

    # The key's owner is assessed, through the gate, in an audited task of its own.
    assert blast is not None and blast["identity"] == "svc-ci-deployer"
    assert blast_radius_for(runtime, request) == blast
    calls = [r for r in audit_rows(runtime, "tool.call") if r["tool"] == "assess_blast_radius"]
    assert calls and all(r["actor"] == "slack" for r in calls)
    decisions = [r for r in audit_rows(runtime, "policy.decision") if r["actor"] == "slack"]
    assert [r["data"]["outcome"] for r in decisions] == ["run"] * len(calls)


def test_a_policy_without_the_assessment_tool_leaves_the_blast_radius_out(
    make_runtime: MakeRuntime,
) -> None:
    policy = (REPO / "policy.yaml").read_text(encoding="utf-8")
    start = policy.index("  assess_blast_radius:")
    end = policy.index("  reset_mfa:")
    runtime = make_runtime(policy_text=policy[:start] + policy[end:])
    request_id = park_revoke_sessions(runtime)
    request = runtime.approvals.get(request_id)

    assert assess_now(runtime, request) is None
    card = approval_card(view(runtime, request_id))
    assert "not assessed" in block(card.blocks, "blast")
