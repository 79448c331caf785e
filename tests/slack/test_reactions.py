"""Approving by reaction over real HTTP: signed events into the served app, Web API calls out
to the Slack stand-in, the action run in the lab exactly once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from bot.actions import approvals as ab
from bot.clock import utcnow
from bot.runtime import Runtime
from bot.slack.approvals.cards import forget_thread_roots, refresh_expired_cards
from tests.slack.approval_scene import APPROVE, REJECT, Scene, action_on_card, serve_scene
from tests.support.approvals import (
    about,
    audit_rows,
    identity_status,
    live_session_count,
    park,
    park_revoke_sessions,
    set_request_columns,
    tool_runs,
)
from tests.support.slack import event_callback, reaction
from tests.support.slack_standin import SlackStandIn

SUSPEND = {"identity": "p-maria-chen", "reason": "MFA fatigue then a push approved from DE"}


@pytest.fixture
def s(make_runtime: Callable[..., Runtime], slack_standin: SlackStandIn) -> Iterator[Scene]:
    yield from serve_scene(make_runtime, slack_standin)


def test_an_approver_reaction_runs_the_action_once_and_replies_in_the_thread(s: Scene) -> None:
    request_id = park_revoke_sessions(s.runtime)
    ref = s.card(request_id)
    assert live_session_count(s.runtime, "p-maria-chen") > 0
    posted = s.slack.calls("chat.postMessage")[-1]
    assert action_on_card(posted.params["blocks"])["args"] == s.request(request_id).args

    s.react(ref, "U0IDADMIN2")
    s.settle(lambda: len(s.thread_replies(ref)) == 1)

    assert s.request(request_id).status == ab.EXECUTED
    assert live_session_count(s.runtime, "p-maria-chen") == 0
    assert tool_runs(s.runtime, "revoke_sessions") == 1
    [reply] = s.thread_replies(ref)
    assert reply["text"].startswith("Executed: `revoke_sessions` on `p-maria-chen`")
    assert s.card_title(ref) == "Executed: revoke_sessions"
    assert "approved by <@U0IDADMIN2>" in s.card_text(ref, "status")
    granted = about(audit_rows(s.runtime, "approval.granted"), request_id)
    assert [(r["actor"], r["data"]["via"]) for r in granted] == [("U0IDADMIN2", "slack")]
    executed = about(audit_rows(s.runtime, "action.executed"), request_id)
    assert [(r["actor"], r["data"]["approvers"]) for r in executed] == [
        ("U0IDADMIN2", ["U0IDADMIN2"])
    ]


def test_quorum_two_needs_two_distinct_approvers_and_a_repeat_counts_once(s: Scene) -> None:
    request_id = park(s.runtime, "suspend_identity", SUSPEND)
    ref = s.card(request_id)

    s.react(ref, "U0IDADMIN2")
    s.settle(lambda: "1 of 2 approvals" in s.card_text(ref, "status"))
    s.react(ref, "U0IDADMIN2")  # the same approver again: a new event, not a new approver
    s.settle(lambda: len(s.ephemerals_to("U0IDADMIN2")) == 1)

    assert "already given a verdict" in s.ephemerals_to("U0IDADMIN2")[0]
    assert s.request(request_id).status == ab.PENDING
    assert identity_status(s.runtime, "p-maria-chen") == "active"
    assert "1 of 2 approvals (<@U0IDADMIN2>)" in s.card_text(ref, "status")

    s.react(ref, "U0IDADMIN3")
    s.settle(lambda: len(s.thread_replies(ref)) == 1)

    assert s.request(request_id).status == ab.EXECUTED
    assert identity_status(s.runtime, "p-maria-chen") == "suspended"
    assert tool_runs(s.runtime, "suspend_identity") == 1
    approved = about(audit_rows(s.runtime, "action.approved"), request_id)
    assert [r["data"]["approvers"] for r in approved] == [["U0IDADMIN2", "U0IDADMIN3"]]


def test_the_same_reaction_event_delivered_twice_runs_once(s: Scene) -> None:
    request_id = park_revoke_sessions(s.runtime)
    ref = s.card(request_id)
    envelope = event_callback(reaction(APPROVE, channel=ref.channel, ts=ref.ts, user="U0IDADMIN2"))

    first = s.served.post_event(envelope)
    again = s.served.post_event(envelope, retry_num=1, retry_reason="http_timeout")
    s.settle(lambda: len(s.thread_replies(ref)) == 1)

    assert (first.status, again.status) == (200, 200)
    assert tool_runs(s.runtime, "revoke_sessions") == 1
    assert len(about(audit_rows(s.runtime, "approval.granted"), request_id)) == 1
    assert s.refusals_of(request_id, "U0IDADMIN2") == []
    assert s.ephemerals_to("U0IDADMIN2") == []


def test_approvers_racing_past_quorum_run_the_action_once(s: Scene) -> None:
    request_id = park_revoke_sessions(s.runtime)
    ref = s.card(request_id)
    racers = ("U0IDADMIN1", "U0IDADMIN2", "U0IDADMIN3")
    threads = [threading.Thread(target=s.react, args=(ref, user)) for user in racers]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    s.settle(lambda: sum(len(s.ephemerals_to(u)) for u in racers) == 2)
    s.settle(lambda: len(s.thread_replies(ref)) == 1)

    assert tool_runs(s.runtime, "revoke_sessions") == 1
    assert len(about(audit_rows(s.runtime, "action.executed"), request_id)) == 1
    assert len(about(audit_rows(s.runtime, "approval.granted"), request_id)) == 1
    assert len(about(audit_rows(s.runtime, "approval.refused"), request_id)) == 2
    assert s.card_title(ref) == "Executed: revoke_sessions"


def test_the_first_rejection_cancels_the_action(s: Scene) -> None:
    request_id = park(s.runtime, "suspend_identity", SUSPEND)
    ref = s.card(request_id)

    s.react(ref, "U0IDADMIN2")
    s.settle(lambda: "1 of 2 approvals" in s.card_text(ref, "status"))
    s.react(ref, "U0IDADMIN3", REJECT)
    s.settle(lambda: s.card_title(ref) == "Rejected: suspend_identity")
    s.react(ref, "U0IDADMIN1")
    s.settle(lambda: len(s.ephemerals_to("U0IDADMIN1")) == 1)

    assert s.request(request_id).status == ab.REJECTED
    assert "Rejected* by <@U0IDADMIN3>" in s.card_text(ref, "status")
    assert "rejected, not pending" in s.ephemerals_to("U0IDADMIN1")[0]
    assert identity_status(s.runtime, "p-maria-chen") == "active"
    assert tool_runs(s.runtime, "suspend_identity") == 0
    rejected = about(audit_rows(s.runtime, "approval.rejected"), request_id)
    assert [r["actor"] for r in rejected] == ["U0IDADMIN3"]
    assert s.thread_replies(ref) == []


def test_removing_the_reaction_before_execution_withdraws_the_approval(s: Scene) -> None:
    request_id = park(s.runtime, "suspend_identity", SUSPEND)
    ref = s.card(request_id)

    s.react(ref, "U0IDADMIN2")
    s.settle(lambda: "1 of 2 approvals" in s.card_text(ref, "status"))
    s.react(ref, "U0IDADMIN2", added=False)
    s.settle(lambda: "0 of 2 approvals" in s.card_text(ref, "status"))
    s.react(ref, "U0IDADMIN3")
    s.settle(lambda: "1 of 2 approvals (<@U0IDADMIN3>)" in s.card_text(ref, "status"))

    assert s.request(request_id).status == ab.PENDING
    assert identity_status(s.runtime, "p-maria-chen") == "active"
    withdrawn = about(audit_rows(s.runtime, "approval.withdrawn"), request_id)
    assert [(r["actor"], r["data"]["via"]) for r in withdrawn] == [("U0IDADMIN2", "slack")]


def test_removing_the_reaction_after_execution_changes_nothing(s: Scene) -> None:
    request_id = park_revoke_sessions(s.runtime)
    ref = s.card(request_id)
    s.react(ref, "U0IDADMIN2")
    s.settle(lambda: len(s.thread_replies(ref)) == 1)

    s.react(ref, "U0IDADMIN2", added=False)
    s.settle(lambda: len(s.ephemerals_to("U0IDADMIN2")) == 1)

    assert "already executed" in s.ephemerals_to("U0IDADMIN2")[0]
    assert s.request(request_id).status == ab.EXECUTED
    assert about(audit_rows(s.runtime, "approval.withdrawn"), request_id) == []


def test_expiry_updates_the_card_and_later_reactions_do_not_count(s: Scene) -> None:
    request_id = park_revoke_sessions(s.runtime)
    ref = s.card(request_id)

    expired = refresh_expired_cards(s.ctx, now=utcnow() + timedelta(hours=1))

    assert expired == [request_id]
    assert s.card_title(ref) == "Expired: revoke_sessions"
    assert "nothing ran" in s.card_text(ref, "status")
    s.react(ref, "U0IDADMIN2")
    s.settle(lambda: len(s.ephemerals_to("U0IDADMIN2")) == 1)
    assert "expired, not pending" in s.ephemerals_to("U0IDADMIN2")[0]
    assert tool_runs(s.runtime, "revoke_sessions") == 0
    assert live_session_count(s.runtime, "p-maria-chen") > 0


def test_a_reaction_after_the_window_expires_the_card_itself(s: Scene) -> None:
    request_id = park_revoke_sessions(s.runtime)
    ref = s.card(request_id)
    set_request_columns(s.runtime, request_id, expires_at=utcnow() - timedelta(seconds=1))

    s.react(ref, "U0IDADMIN2")
    s.settle(lambda: s.card_title(ref) == "Expired: revoke_sessions")

    assert "approval window has passed" in s.ephemerals_to("U0IDADMIN2")[0]
    assert s.request(request_id).status == ab.EXPIRED
    assert tool_runs(s.runtime, "revoke_sessions") == 0


@pytest.mark.parametrize("restarted", [False, True])
def test_the_result_goes_to_the_thread_the_card_is_in(s: Scene, restarted: bool) -> None:
    triage_post = s.ctx.client.chat_postMessage(channel="C0ALERTS", text="triage")["ts"]
    request_id = park_revoke_sessions(s.runtime)
    ref = s.card(request_id, thread_ts=triage_post)
    if restarted:  # the thread is then found again with conversations.replies
        forget_thread_roots()

    s.react(ref, "U0IDADMIN2")
    s.settle(lambda: s.card_title(ref) == "Executed: revoke_sessions")

    in_thread = [m for m in s.slack.messages("C0ALERTS") if m.get("thread_ts")]
    assert in_thread[0]["ts"] == ref.ts
    [reply] = [m for m in in_thread if m["ts"] != ref.ts]
    assert reply["thread_ts"] == triage_post
    assert reply["text"].startswith("Executed:")
