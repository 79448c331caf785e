"""Edges of the gate: secrets in stored arguments, unrecorded credentials, late replies."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from bot.actions.approvals import ActionRequest
from bot.agent.loop import AgentLoop
from bot.agent.prompts import load_prompt
from bot.db import session_scope
from bot.errors import AuditWriteError, CredentialError
from bot.runtime import Runtime
from tests.support.approvals import (
    edit_policy,
    execute,
    live_session_count,
    park,
    park_revoke_sessions,
)
from tests.support.fakes import ModelTurn, ScriptedModel
from tests.support.gate_checks import audit_rows, refuse_audit_kind, replace_tool, with_task_limits
from tools import REGISTRY
from tools.base import TaskContext

GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def test_a_secret_in_an_action_reason_is_not_stored_or_shown(
    make_runtime: Callable[..., Runtime],
) -> None:
    runtime = make_runtime()
    reason = f"attacker pushed {GITHUB_TOKEN} to a public repo"
    request_id = park(runtime, "revoke_sessions", {"identity": "p-maria-chen", "reason": reason})
    with session_scope(runtime.engine) as session:
        stored = session.get(ActionRequest, request_id)
    assert stored is not None
    assert GITHUB_TOKEN not in stored.args_json
    assert "[REDACTED:" in stored.args["reason"]


def test_a_credential_whose_issue_cannot_be_audited_is_revoked(
    make_runtime: Callable[..., Runtime],
) -> None:
    runtime = make_runtime()
    refuse_audit_kind(runtime.engine, "credential.issued")
    with runtime.tasks.run("triage", "U0ANALYST", runtime.task_limits()) as task:
        scopes = frozenset({"directory:read"})
        with (
            pytest.raises(AuditWriteError),
            runtime.broker.issue(task.id, "get_identity", scopes, 60),
        ):
            pytest.fail("a credential that is not on record must not reach the tool")
        (record,) = runtime.broker.credentials(task_id=task.id)
        assert record.revoked_at is not None
        assert not runtime.provider.credential_accepted_by_id(record.id)


def test_a_final_reply_after_the_deadline_ends_the_task_on_its_limit(
    make_runtime: Callable[..., Runtime],
) -> None:
    runtime = make_runtime(policy_text=with_task_limits(seconds=1))
    model = ScriptedModel([ModelTurn(content="All clear.", delay_seconds=1.3)])
    loop = AgentLoop(
        executor=runtime.executor, audit=runtime.audit, model=model, counter=runtime.counter
    )
    system = load_prompt("system").render(engine="scripted", date="2026-11-22")
    with runtime.tasks.run("thread", "U0ANALYST", runtime.task_limits()) as task:
        result = loop.run(task, system=system, user_text="Anything odd for p-tom-becker?")
    assert result.stopped_by == "seconds"
    assert "All clear." not in result.final_text
    assert task.status == "limit"


def test_the_same_action_asked_twice_in_a_task_is_parked_once(
    make_runtime: Callable[..., Runtime],
) -> None:
    runtime = make_runtime()
    args = {"identity": "p-maria-chen", "reason": "twelve denied pushes, then one accepted"}
    with runtime.tasks.run("triage", "alert:test", runtime.task_limits()) as task:
        first = runtime.executor.call(task, "revoke_sessions", args, actor="model:test")
        again = runtime.executor.call(task, "revoke_sessions", dict(args), actor="model:test")
    assert first.status == again.status == "awaiting_approval"
    assert first.request_id == again.request_id
    assert len([r for r in runtime.approvals.list_requests() if r.task_id == task.id]) == 1


def test_an_approved_action_that_times_out_is_unknown_not_failed(
    make_runtime: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime(policy_text=with_task_limits(seconds=1))
    request_id = park_revoke_sessions(runtime)
    original = REGISTRY["revoke_sessions"].function

    def slow_but_effective(args: Any, ctx: TaskContext) -> dict[str, Any]:
        result = original(args, ctx)  # the provider acts at once ...
        time.sleep(1.5)  # ... and the reply comes after the task's time is up
        return result

    replace_tool(monkeypatch, "revoke_sessions", slow_but_effective)
    assert runtime.approvals.decide(request_id, "U0IDADMIN2", "approve").ready_to_execute
    outcome = execute(runtime, request_id)
    assert outcome.status == "error" and "may or may not have taken effect" in str(outcome.content)
    assert runtime.approvals.get(request_id).status == "unknown"
    assert live_session_count(runtime, "p-maria-chen") == 0  # it did take effect


def test_a_revocation_the_provider_ignores_stays_live_until_a_sweep_succeeds(
    make_runtime: Callable[..., Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime()
    monkeypatch.setattr(runtime.provider, "revoke_credential", lambda credential_id: None)
    scopes = frozenset({"directory:read"})
    with pytest.raises(CredentialError, match="still accepted after revocation"):  # noqa: SIM117
        with runtime.tasks.run("triage", "U0ANALYST", runtime.task_limits()) as task:
            with runtime.broker.issue(task.id, "get_identity", scopes, 60):
                pass
    (record,) = runtime.broker.credentials(task_id=task.id)
    assert record.revoked_at is None  # not marked done while the provider still accepts it
    failures = [r for r in audit_rows(runtime.engine) if r["kind"] == "credential.revoke_failed"]
    assert failures and all(r["task_id"] == task.id for r in failures)
    ends = [r for r in audit_rows(runtime.engine) if r["kind"] == "task.end"]
    assert ends and ends[-1]["task_id"] == task.id  # the end is audited all the same

    monkeypatch.undo()
    report = runtime.broker.sweep()
    assert [r.credential_id for r in report.revoked] == [record.id] and report.failed == []
    assert not runtime.provider.credential_accepted_by_id(record.id)


def test_approvals_count_against_the_current_quorum(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime()
    request_id = park_revoke_sessions(runtime)
    rule = (
        "scopes: [sessions:revoke]\n    ttl_seconds: 120\n"
        "    approvers: {{groups: [identity-admins]}}\n    quorum: {}"
    )
    edit_policy(runtime, rule.format(1), rule.format(2))
    first = runtime.approvals.decide(request_id, "U0IDADMIN2", "approve")
    assert (first.status, first.quorum) == ("pending", 2)
    second = runtime.approvals.decide(request_id, "U0IDADMIN3", "approve")
    assert second.ready_to_execute
    assert execute(runtime, request_id).status == "ok"
