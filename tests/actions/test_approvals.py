"""Who may approve a parked action, how many must, and for how long: the approval rules,
driven through the real triage flow and executor on a seeded lab."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

import bot.demo_alerts
from bot.actions.approvals import APPROVED, EXECUTED, EXPIRED, PENDING, RECOMMENDED, REJECTED
from bot.alerts.triage.run import triage_alert
from bot.clock import utcnow
from bot.errors import ApprovalError
from bot.policy import PolicyStore
from bot.runtime import Runtime
from tests.support.approvals import (
    about,
    audit_rows,
    execute,
    identity_status,
    live_session_count,
    park_revoke_sessions,
    sessions_state,
    tool_runs,
)

MakeRuntime = Callable[..., Runtime]
MFA_ALERT = Path(bot.demo_alerts.__file__).parent / "01-okta-mfa-push-fatigue.json"


def triage_mfa_alert(runtime: Runtime) -> dict[str, str]:
    """Triage the MFA push-fatigue alert; returns tool → request id of what it proposed."""
    result = triage_alert(runtime, json.loads(MFA_ALERT.read_text(encoding="utf-8")))
    proposed = {a.tool: a.request_id for a in result.actions if a.request_id is not None}
    assert {"revoke_sessions", "suspend_identity"} <= set(proposed), result.actions
    return {tool: request_id for tool, request_id in proposed.items() if request_id}


def test_the_requester_cannot_approve_their_own_action(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    request_id = park_revoke_sessions(runtime, requester="U0IDADMIN2")

    own = runtime.approvals.decide(request_id, "U0IDADMIN2", "approve")

    assert not own.counted and "requester" in own.reason
    assert runtime.approvals.get(request_id).status == PENDING
    assert runtime.approvals.approvals_of(request_id) == []
    refused = about(audit_rows(runtime, "approval.refused"), request_id)
    assert [r["actor"] for r in refused] == ["U0IDADMIN2"]
    assert runtime.approvals.decide(request_id, "U0IDADMIN3", "approve").ready_to_execute


def test_a_non_approver_is_refused_and_the_refusal_audited(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    request_id = triage_mfa_alert(runtime)["revoke_sessions"]
    before = sessions_state(runtime, "p-maria-chen")

    # U0CLOUDADM1 approves key actions, not identity actions.
    for outsider in ("U0NOTALLOWED", "U0CLOUDADM1"):
        outcome = runtime.approvals.decide(request_id, outsider, "approve", via="slack")
        assert not outcome.counted and "not an approver" in outcome.reason

    refused = about(audit_rows(runtime, "approval.refused"), request_id)
    assert [(r["actor"], r["data"]["via"]) for r in refused] == [
        ("U0NOTALLOWED", "slack"),
        ("U0CLOUDADM1", "slack"),
    ]
    assert all("not an approver" in r["data"]["reason"] for r in refused)
    assert runtime.approvals.approvals_of(request_id) == []
    with pytest.raises(ApprovalError):
        execute(runtime, request_id)
    assert sessions_state(runtime, "p-maria-chen") == before


def test_the_target_of_an_action_cannot_approve_it(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    # Ana Lima's Slack id U0IDADMIN1 is an identity admin; any spelling of her is the target.
    for spelling in ("p-ana-lima", "ana.lima@lab.example"):
        request_id = park_revoke_sessions(runtime, spelling)

        hers = runtime.approvals.decide(request_id, "U0IDADMIN1", "approve")

        assert not hers.counted and "target" in hers.reason, spelling
        assert runtime.approvals.get(request_id).status == PENDING
        assert len(about(audit_rows(runtime, "approval.refused"), request_id)) == 1
        assert runtime.approvals.decide(request_id, "U0IDADMIN2", "approve").counted


def test_quorum_two_needs_two_distinct_approvers(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    request_id = triage_mfa_alert(runtime)["suspend_identity"]
    approvals = runtime.approvals

    first = approvals.decide(request_id, "U0IDADMIN2", "approve")
    again = approvals.decide(request_id, "U0IDADMIN2", "approve")

    assert (first.counted, first.approvals, first.quorum, first.status) == (True, 1, 2, PENDING)
    assert not again.counted and again.approvals == 1
    with pytest.raises(ApprovalError):
        execute(runtime, request_id)
    assert identity_status(runtime, "p-maria-chen") == "active"

    second = approvals.decide(request_id, "U0IDADMIN3", "approve")
    assert second.ready_to_execute and second.approvals == 2
    approved = about(audit_rows(runtime, "action.approved"), request_id)
    assert [r["data"]["approvers"] for r in approved] == [["U0IDADMIN2", "U0IDADMIN3"]]
    assert execute(runtime, request_id).status == "ok"
    assert identity_status(runtime, "p-maria-chen") == "suspended"


def test_the_first_rejection_cancels_the_action(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    request_id = triage_mfa_alert(runtime)["suspend_identity"]
    approvals = runtime.approvals

    assert approvals.decide(request_id, "U0IDADMIN2", "approve").counted
    rejection = approvals.decide(request_id, "U0IDADMIN1", "reject")
    late = approvals.decide(request_id, "U0IDADMIN3", "approve")

    assert rejection.counted and rejection.status == REJECTED
    assert not late.counted and "rejected" in late.reason
    assert approvals.get(request_id).status == REJECTED
    assert [r["actor"] for r in about(audit_rows(runtime, "approval.rejected"), request_id)] == [
        "U0IDADMIN1"
    ]
    with pytest.raises(ApprovalError):
        execute(runtime, request_id)
    assert identity_status(runtime, "p-maria-chen") == "active"


def travel(monkeypatch: pytest.MonkeyPatch, minutes: float) -> None:
    """Move the approval book's clock forward; the policy's window is 30 minutes."""
    later = utcnow() + timedelta(minutes=minutes)
    for module in ("bot.actions.approvals", "bot.actions.store"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: later)


def test_an_approval_after_the_window_is_refused_and_expires_the_action(
    make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime()
    in_time = park_revoke_sessions(runtime)
    too_late = park_revoke_sessions(runtime)

    travel(monkeypatch, 29)
    assert runtime.approvals.decide(in_time, "U0IDADMIN2", "approve").ready_to_execute
    travel(monkeypatch, 31)
    outcome = runtime.approvals.decide(too_late, "U0IDADMIN2", "approve")

    assert not outcome.counted and "window" in outcome.reason
    assert runtime.approvals.get(too_late).status == EXPIRED
    assert len(about(audit_rows(runtime, "action.expired"), too_late)) == 1
    assert len(about(audit_rows(runtime, "approval.refused"), too_late)) == 1
    with pytest.raises(ApprovalError):
        execute(runtime, too_late)


def test_expire_due_sweeps_open_actions_past_their_window(
    make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime()
    proposed = triage_mfa_alert(runtime)
    approved = proposed["revoke_sessions"]
    assert runtime.approvals.decide(approved, "U0IDADMIN2", "approve").ready_to_execute
    sessions = sessions_state(runtime, "p-maria-chen")

    assert runtime.approvals.expire_due() == []
    swept = runtime.approvals.expire_due(utcnow() + timedelta(minutes=31))

    assert sorted(swept) == sorted([approved, proposed["suspend_identity"]])
    assert {runtime.approvals.get(r).status for r in swept} == {EXPIRED}
    assert runtime.approvals.get(proposed["reset_mfa"]).status == RECOMMENDED
    expired = audit_rows(runtime, "action.expired")
    assert sorted(r["data"]["request_id"] for r in expired) == sorted(swept)
    assert runtime.approvals.expire_due(utcnow() + timedelta(minutes=60)) == []
    with pytest.raises(ApprovalError):
        execute(runtime, approved)
    assert sessions_state(runtime, "p-maria-chen") == sessions


def test_an_approved_action_left_past_its_window_does_not_run(
    make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime()
    request_id = park_revoke_sessions(runtime)
    assert runtime.approvals.decide(request_id, "U0IDADMIN2", "approve").ready_to_execute
    sessions = sessions_state(runtime, "p-maria-chen")

    travel(monkeypatch, 31)  # the sweeper has not run yet
    with pytest.raises(ApprovalError):
        execute(runtime, request_id)

    assert runtime.approvals.get(request_id).status == EXPIRED
    assert len(about(audit_rows(runtime, "action.expired"), request_id)) == 1
    assert sessions_state(runtime, "p-maria-chen") == sessions
    assert tool_runs(runtime, "revoke_sessions") == 0


def test_withdrawing_before_execution_returns_the_action_to_pending(
    make_runtime: MakeRuntime,
) -> None:
    runtime = make_runtime()
    request_id = park_revoke_sessions(runtime)
    approvals = runtime.approvals
    assert approvals.decide(request_id, "U0IDADMIN2", "approve").status == APPROVED

    assert approvals.withdraw(request_id, "U0IDADMIN2", via="slack")

    assert approvals.get(request_id).status == PENDING
    assert approvals.approvals_of(request_id) == []
    assert len(about(audit_rows(runtime, "approval.withdrawn"), request_id)) == 1
    with pytest.raises(ApprovalError):
        execute(runtime, request_id)
    assert live_session_count(runtime, "p-maria-chen") > 0
    assert not approvals.withdraw(request_id, "U0IDADMIN2")
    # The same approver may change their mind again: the verdict counts afresh.
    assert approvals.decide(request_id, "U0IDADMIN2", "approve").ready_to_execute
    assert execute(runtime, request_id).status == "ok"
    assert live_session_count(runtime, "p-maria-chen") == 0


def test_a_consumed_approval_cannot_be_used_again(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    request_id = park_revoke_sessions(runtime)
    assert runtime.approvals.decide(request_id, "U0IDADMIN2", "approve").ready_to_execute
    assert execute(runtime, request_id).status == "ok"
    sessions = sessions_state(runtime, "p-maria-chen")

    again = runtime.approvals.decide(request_id, "U0IDADMIN3", "approve")
    with pytest.raises(ApprovalError, match="already run"):
        execute(runtime, request_id)
    assert not runtime.approvals.withdraw(request_id, "U0IDADMIN2")

    assert not again.counted and EXECUTED in again.reason
    assert runtime.approvals.get(request_id).status == EXECUTED
    assert len(about(audit_rows(runtime, "action.executed"), request_id)) == 1
    assert tool_runs(runtime, "revoke_sessions") == 1
    assert sessions_state(runtime, "p-maria-chen") == sessions


@dataclass
class SlackUsergroups:
    """Stands in for Slack's user-group directory: group id → member user ids."""

    groups: dict[str, set[str]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def members(self, usergroup_id: str) -> frozenset[str]:
        self.asked.append(usergroup_id)
        return frozenset(self.groups.get(usergroup_id, set()))


def test_members_of_an_approver_usergroup_may_approve_while_they_are_members(
    make_runtime: MakeRuntime,
) -> None:
    directory = SlackUsergroups({"S0IAMOPS": {"U0ONCALL7"}, "S0CLOUDOPS": {"U0CLOUDY"}})
    seeded = make_runtime()
    runtime = Runtime(seeded.settings, usergroups=directory, model_override=seeded.model)
    maria = park_revoke_sessions(runtime, "p-maria-chen")
    tom = park_revoke_sessions(runtime, "p-tom-becker")

    # S0CLOUDOPS approves key actions only.
    assert not runtime.approvals.decide(maria, "U0CLOUDY", "approve").counted
    assert runtime.approvals.decide(maria, "U0ONCALL7", "approve").ready_to_execute
    assert runtime.approvals.decide(tom, "U0ONCALL7", "approve").ready_to_execute
    assert "S0IAMOPS" in directory.asked
    assert execute(runtime, maria).status == "ok"
    assert live_session_count(runtime, "p-maria-chen") == 0

    directory.groups["S0IAMOPS"].clear()  # left the on-call group before the second ran
    tom_sessions = sessions_state(runtime, "p-tom-becker")
    outcome = execute(runtime, tom)

    assert (
        outcome.status == "denied" and "approvals needed still count" in outcome.content["reason"]
    )
    assert sessions_state(runtime, "p-tom-becker") == tom_sessions


def test_a_policy_edit_seen_during_a_decision_is_applied_and_audited_promptly(
    make_runtime: MakeRuntime,
) -> None:
    runtime = make_runtime()
    # The store looks at the file on every read, as it does once its interval has passed.
    path = runtime.settings.policy_path
    runtime.policies = PolicyStore(path, on_event=runtime._policy_event, check_interval_seconds=0)
    request_id = park_revoke_sessions(runtime)
    admins = "users: [U0IDADMIN1, U0IDADMIN2, U0IDADMIN3]"
    path.write_text(
        path.read_text(encoding="utf-8").replace(admins, "users: [U0IDADMIN1, U0IDADMIN3]"),
        encoding="utf-8",
    )

    started = time.monotonic()
    outcome = runtime.approvals.decide(request_id, "U0IDADMIN2", "approve")
    took = time.monotonic() - started

    assert not outcome.counted and "not an approver" in outcome.reason
    assert took < 10, f"the decision waited {took:.1f}s on its own transaction"
    loaded = audit_rows(runtime, "policy.loaded")
    assert loaded[-1]["data"]["previous_version"] is not None
