"""Edges of the gate: secrets in stored arguments, unrecorded credentials, late replies."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.agent.loop import AgentLoop
from bot.agent.prompts import load_prompt
from bot.approvals import ActionRequest
from bot.db import session_scope
from bot.errors import AuditWriteError
from bot.runtime import Runtime
from tests.approval_helpers import park
from tests.fakes import ModelTurn, ScriptedModel
from tests.gate_checks import refuse_audit_kind, with_task_limits

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
