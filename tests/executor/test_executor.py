"""The executor, one gate decision at a time: policy → approval → credential → tool → audit."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from bot.canonical import hash_value, sha256_hex
from bot.clock import as_utc
from bot.db import session_scope
from bot.errors import AuditWriteError, CredentialRefused
from bot.executor.dispatch import ToolOutcome
from bot.runtime import Runtime
from bot.tasks.records import CredentialRecord
from bot.tasks.runner import TaskHandle
from tests.support.gate_checks import (
    StallingTool,
    audit_rows,
    decisions,
    lab_snapshot,
    policy_text,
    refuse_audit_kind,
    replace_tool,
    rows_of,
)
from tools import REGISTRY
from tools.base import PresentedCredential, TaskContext, ToolArgs
from tools.providers.lab.models import LabCredential

ANALYST = "U0ANALYST1"
REASON = "Push fatigue followed by an approval from a Tor exit node."

RuntimeFactory = Callable[..., Runtime]


@contextmanager
def task_of(runtime: Runtime) -> Iterator[TaskHandle]:
    with runtime.tasks.run("triage", ANALYST, runtime.task_limits()) as task:
        yield task


def call(runtime: Runtime, task: TaskHandle, name: str, **arguments: Any) -> ToolOutcome:
    return runtime.executor.call(task, name, json.dumps(arguments), actor="model:test")


def call_once(runtime: Runtime, name: str, **arguments: Any) -> tuple[TaskHandle, ToolOutcome]:
    with task_of(runtime) as task:
        return task, call(runtime, task, name, **arguments)


def credential_record(runtime: Runtime, credential_id: str) -> CredentialRecord:
    (record,) = [r for r in runtime.broker.credentials() if r.id == credential_id]
    return record


def assert_revoked_and_refused(runtime: Runtime, credential: PresentedCredential) -> None:
    record = credential_record(runtime, credential.credential_id)
    assert record.revoked_at is not None and record.revoke_verified is True
    assert not runtime.provider.credential_accepted(credential.secret)
    with pytest.raises(CredentialRefused, match="revoked"):
        runtime.provider.get_identity(credential, "p-maria-chen")


class ToolSpy:
    """Wraps a registered tool: counts runs and keeps the credential each run was handed."""

    def __init__(self, runtime: Runtime, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
        self.runtime = runtime
        self.real = REGISTRY[name]
        self.credentials: list[PresentedCredential] = []
        self.accepted_while_running: list[bool] = []
        replace_tool(monkeypatch, name, self.run)

    def run(self, args: ToolArgs, ctx: TaskContext) -> dict[str, Any]:
        self.credentials.append(ctx.credential)
        self.accepted_while_running.append(
            self.runtime.provider.credential_accepted(ctx.credential.secret)
        )
        return self.real.run(args, ctx)


# -- read_only: runs with exactly the policy's scopes, and the credential dies after ------------


def _set_scopes(tool: str, scopes: list[str]) -> str:
    return policy_text(lambda data: data["tools"][tool].update(scopes=scopes))


@pytest.mark.parametrize(
    ("tool", "policy"),
    [
        ("get_identity", None),
        ("assess_blast_radius", None),
        ("get_identity", _set_scopes("get_identity", ["directory:read", "sessions:read"])),
    ],
)
def test_read_only_tool_runs_with_its_policy_scopes_then_loses_them(
    make_runtime: RuntimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    tool: str,
    policy: str | None,
) -> None:
    runtime = make_runtime(policy_text=policy)
    rule = runtime.policies.current.tools[tool]
    spy = ToolSpy(runtime, monkeypatch, tool)
    with task_of(runtime) as task:
        outcome = call(runtime, task, tool, identity="p-maria-chen")
        (credential,) = spy.credentials
        assert_revoked_and_refused(runtime, credential)  # at the end of the call, not the task
    assert outcome.status == "ok" and "p-maria-chen" in json.dumps(outcome.content["result"])
    assert credential.scopes == frozenset(rule.scopes)
    record = credential_record(runtime, credential.credential_id)
    assert record.scope_list == sorted(rule.scopes)
    assert record.expires_at - record.issued_at == timedelta(seconds=rule.ttl_seconds)
    with session_scope(runtime.engine) as session:
        lab_record = session.get(LabCredential, credential.credential_id)
    assert lab_record is not None and sorted(lab_record.scopes) == sorted(rule.scopes)
    assert spy.accepted_while_running == [True]


def test_too_narrow_policy_scopes_are_refused_by_the_lab(make_runtime: RuntimeFactory) -> None:
    runtime = make_runtime(policy_text=_set_scopes("get_identity", ["sessions:read"]))
    _, outcome = call_once(runtime, "get_identity", identity="p-maria-chen")
    assert outcome.status == "error"
    assert "lacks scope directory:read" in outcome.content["error"]
    assert runtime.broker.credentials(live_only=True) == []


# -- recommend and execute_with_approval never run the tool -------------------------------------


def test_recommend_stores_a_draft_and_never_runs(
    make_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime()
    spy = ToolSpy(runtime, monkeypatch, "reset_mfa")
    before = lab_snapshot(runtime.engine)
    _, outcome = call_once(runtime, "reset_mfa", identity="p-maria-chen", reason=REASON)
    assert outcome.status == "recommended" and outcome.request_id
    stored = runtime.approvals.get(outcome.request_id)
    assert (stored.status, stored.quorum, stored.expires_at) == ("recommended", 0, None)
    assert stored.args == {"identity": "p-maria-chen", "reason": REASON}
    assert spy.credentials == []
    assert lab_snapshot(runtime.engine) == before
    rows = audit_rows(runtime.engine)
    assert rows_of(rows, "recommendation", "reset_mfa")
    assert rows_of(rows, "tool.result") == []
    assert {r.tool for r in runtime.broker.credentials()} == {"resolve_target"}


def test_execute_with_approval_parks_with_the_action_hash(
    make_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime()
    spy = ToolSpy(runtime, monkeypatch, "suspend_identity")
    before = lab_snapshot(runtime.engine)
    with task_of(runtime) as task:
        outcome = call(runtime, task, "suspend_identity", identity="p-maria-chen", reason=REASON)
        other = call(runtime, task, "suspend_identity", identity="p-maria-chen", reason=REASON * 2)
    assert outcome.status == "awaiting_approval" and outcome.content["approvals_needed"] == 2
    assert outcome.request_id is not None and other.request_id is not None
    stored = runtime.approvals.get(outcome.request_id)
    version = sha256_hex(runtime.settings.policy_path.read_bytes())
    expected = hash_value(
        {
            "tool": "suspend_identity",
            "args": {"identity": "p-maria-chen", "reason": REASON},
            "target": "p-maria-chen",
            "requester": ANALYST,
            "task_id": task.id,
            "policy_version": version,
        }
    )
    assert (stored.status, stored.quorum, stored.action_hash) == ("pending", 2, expected)
    assert runtime.approvals.get(other.request_id).action_hash != expected
    assert stored.expires_at is not None
    window = as_utc(stored.expires_at) - as_utc(stored.created_at)
    assert window == timedelta(minutes=30)
    requested = rows_of(audit_rows(runtime.engine), "action.requested")
    assert requested[0]["data"]["action_hash"] == expected
    assert spy.credentials == [] and lab_snapshot(runtime.engine) == before


# -- denials ------------------------------------------------------------------------------------


def test_deny_returns_the_reason_the_audit_log_keeps(make_runtime: RuntimeFactory) -> None:
    runtime = make_runtime()
    with task_of(runtime) as task:
        protected = call(
            runtime, task, "suspend_identity", identity="break-glass-01", reason=REASON
        )
        undeclared = call(runtime, task, "wipe_laptop", identity="p-maria-chen")
    assert protected.status == "denied" and protected.rule == "protected_targets[0]"
    assert "matches the protected target 'break-glass-*'" in protected.content["reason"]
    assert undeclared.status == "denied" and undeclared.rule == "undeclared"
    assert "anything undeclared is denied" in undeclared.content["reason"]
    denied = decisions(audit_rows(runtime.engine), "deny")
    assert [(d["data"]["rule"], d["data"]["reason"]) for d in denied] == [
        (protected.rule, protected.content["reason"]),
        (undeclared.rule, undeclared.content["reason"]),
    ]


def _rate_limited(data: dict[str, Any]) -> None:
    data["tools"]["get_identity"]["rate_limit"] = {"calls": 2, "per_seconds": 60}
    data["tools"]["revoke_sessions"]["rate_limit"] = {"calls": 1, "per_seconds": 3600}


def test_rate_limit_denies_after_n_calls(make_runtime: RuntimeFactory) -> None:
    runtime = make_runtime(policy_text=policy_text(_rate_limited))
    with task_of(runtime) as task:
        reads = [call(runtime, task, "get_identity", identity="p-maria-chen") for _ in range(3)]
        actions = [
            call(runtime, task, "revoke_sessions", identity=who, reason=REASON)
            for who in ("p-maria-chen", "p-tom-becker")
        ]
    assert [o.status for o in reads] == ["ok", "ok", "denied"]
    assert reads[2].rule == "tools.get_identity.rate_limit"
    assert "limited to 2 calls per 60s" in reads[2].content["reason"]
    assert [o.status for o in actions] == ["awaiting_approval", "denied"]
    assert actions[1].rule == "tools.revoke_sessions.rate_limit"
    assert len(runtime.approvals.list_requests()) == 1


# -- tools that fail or hang --------------------------------------------------------------------


def test_a_tool_that_raises_is_an_error_and_its_credential_is_revoked(
    make_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime()
    handed: list[PresentedCredential] = []

    def explodes(args: ToolArgs, ctx: TaskContext) -> dict[str, Any]:
        handed.append(ctx.credential)
        raise RuntimeError("the provider's SDK fell over")

    replace_tool(monkeypatch, "get_identity", explodes)
    with task_of(runtime) as task:
        crashed = call(runtime, task, "get_identity", identity="p-maria-chen")
        missing = call(runtime, task, "list_sessions", identity="nobody-by-this-name")
        assert runtime.broker.credentials(live_only=True) == []  # revoked before the task ends
    assert crashed.status == "error"
    assert crashed.content["error"] == "get_identity failed unexpectedly (RuntimeError)"
    assert missing.status == "error" and missing.content["error"].startswith("NotFound: ")
    assert_revoked_and_refused(runtime, handed[0])
    results = rows_of(audit_rows(runtime.engine), "tool.result")
    assert [r["data"]["status"] for r in results] == ["error", "error"]
    assert results[0]["data"]["credential_id"] == handed[0].credential_id


def test_a_tool_past_its_ttl_is_cut_off_and_refused_later(
    make_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    short_ttl = policy_text(lambda data: data["tools"]["get_identity"].update(ttl_seconds=1))
    runtime = make_runtime(policy_text=short_ttl)
    stalling = StallingTool(monkeypatch, "get_identity")
    with task_of(runtime) as task:
        try:
            outcome = call(runtime, task, "get_identity", identity="p-maria-chen")
        finally:
            stalling.release.set()
        assert stalling.finished.wait(10)  # the tool wakes up while its task is still running
    assert outcome.status == "error"
    assert outcome.content["error"] == (
        "get_identity did not finish within 1.0s; it may or may not have taken effect"
    )
    (record,) = runtime.broker.credentials()
    assert record.revoked_at is not None and record.revoke_verified is True
    late = stalling.late
    assert len(late) == 1 and isinstance(late[0], CredentialRefused) and "revoked" in str(late[0])


# -- the audit log fails closed -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("failing_kind", "tool", "arguments"),
    [
        ("tool.call", "get_identity", {"identity": "p-maria-chen"}),
        ("policy.decision", "get_identity", {"identity": "p-maria-chen"}),
        ("credential.issued", "get_identity", {"identity": "p-maria-chen"}),
        ("action.requested", "suspend_identity", {"identity": "p-maria-chen", "reason": REASON}),
    ],
)
def test_an_audit_write_that_fails_stops_the_call(
    make_runtime: RuntimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    failing_kind: str,
    tool: str,
    arguments: dict[str, Any],
) -> None:
    runtime = make_runtime()
    spy = ToolSpy(runtime, monkeypatch, tool)
    before = lab_snapshot(runtime.engine)
    refuse_audit_kind(runtime.engine, failing_kind)
    with pytest.raises(AuditWriteError, match="so the action was stopped"):
        call_once(runtime, tool, **arguments)
    assert spy.credentials == []
    assert lab_snapshot(runtime.engine) == before
    assert runtime.approvals.list_requests() == []
    assert runtime.broker.credentials(live_only=True) == []
    rows = audit_rows(runtime.engine)
    assert rows_of(rows, failing_kind) == [] and rows_of(rows, "tool.result") == []
    assert rows_of(rows, "error")[0]["data"]["error"] == "AuditWriteError"


# -- the policy version -------------------------------------------------------------------------


def test_every_decision_carries_the_sha256_of_the_policy_file(make_runtime: RuntimeFactory) -> None:
    runtime = make_runtime()
    path = runtime.settings.policy_path

    def decide_a_few() -> None:
        with task_of(runtime) as task:
            call(runtime, task, "get_identity", identity="p-maria-chen")
            call(runtime, task, "reset_mfa", identity="p-maria-chen", reason=REASON)
            call(runtime, task, "revoke_sessions", identity="p-maria-chen", reason=REASON)
            call(runtime, task, "suspend_identity", identity="break-glass-01", reason=REASON)
            call(runtime, task, "get_identity", identity=7)
            call(runtime, task, "not_a_tool")

    decide_a_few()
    first = sha256_hex(path.read_bytes())
    path.write_text(path.read_text() + "\n# reviewed again\n", encoding="utf-8")
    runtime.policies.reload()
    decide_a_few()
    second = sha256_hex(path.read_bytes())
    assert first != second
    found = decisions(audit_rows(runtime.engine))
    assert {d["data"]["outcome"] for d in found} == {"run", "recommend", "require_approval", "deny"}
    assert [d["policy_version"] for d in found] == [first] * 6 + [second] * 6
    stored = runtime.approvals.list_requests()
    assert sorted(r.policy_version for r in stored) == sorted([first, first, second, second])
