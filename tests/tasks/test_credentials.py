"""Per-call credentials: revoked on every way a call or a task can end, never stored in the
clear, refused by the lab once revoked, and swept when their task's process dies."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

import bot.demo_alerts
from bot.alerts.triage.run import triage_alert
from bot.audit.log import export_events
from bot.canonical import sha256_hex
from bot.clock import as_utc, utcnow
from bot.errors import CredentialError, CredentialRefused, LimitExceeded, PolicyError, ProviderError
from bot.executor.dispatch import ToolOutcome
from bot.policy import load_policy_text
from bot.runtime import Runtime
from bot.tasks.records import CredentialRecord
from bot.tasks.runner import TaskLimits
from tests.support.approvals import audit_rows, execute
from tools import REGISTRY
from tools.base import TaskContext, Tool, ToolFunction

MakeRuntime = Callable[..., Runtime]
MFA_ALERT = Path(bot.demo_alerts.__file__).parent / "01-okta-mfa-push-fatigue.json"
READ = frozenset({"directory:read"})
MARIA = {"identity": "p-maria-chen"}
LIMITS = TaskLimits(model_turns=5, tool_calls=5, tokens=10_000, seconds=120)


def call_tool(
    runtime: Runtime, tool: str, args: dict[str, Any], limits: TaskLimits | None = None
) -> tuple[str, ToolOutcome]:
    with runtime.tasks.run("thread", "U0ANALYST1", limits or runtime.task_limits()) as task:
        return task.id, runtime.executor.call(task, tool, args, actor="U0ANALYST1")


def replace_tool(monkeypatch: pytest.MonkeyPatch, name: str, function: ToolFunction) -> None:
    original = REGISTRY[name]
    stand_in = Tool(original.name, original.args_model, function, original.target_field)
    monkeypatch.setitem(REGISTRY, name, stand_in)


def assert_all_revoked(runtime: Runtime, task_id: str, reason: str) -> list[CredentialRecord]:
    """Every credential of the task is revoked, verified, timed, and refused by the lab."""
    records = runtime.broker.credentials(task_id=task_id)
    assert records, "the task was issued no credential"
    for record in records:
        assert record.revoked_at is not None, record
        assert record.revoke_reason == reason
        assert record.revoke_verified is True
        assert record.revoke_lag_ms is not None and record.revoke_lag_ms >= 0
        assert not runtime.provider.credential_accepted_by_id(record.id)
    revoked = {r["data"]["credential_id"] for r in audit_rows(runtime, "credential.revoked")}
    assert {r.id for r in records} <= revoked
    return records


def test_a_successful_call_revokes_its_credential(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()

    task_id, outcome = call_tool(runtime, "get_identity", MARIA)

    assert outcome.status == "ok" and outcome.content["result"]["id"] == "p-maria-chen"
    [record] = assert_all_revoked(runtime, task_id, "tool call ended")
    assert record.tool == "get_identity" and record.scope_list == ["directory:read"]


def test_a_provider_error_still_revokes_the_credential(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()

    task_id, outcome = call_tool(runtime, "get_identity", {"identity": "p-nobody-here"})

    assert outcome.status == "error" and "NotFound" in outcome.content["error"]
    assert_all_revoked(runtime, task_id, "tool call ended")


def test_an_exception_inside_the_tool_still_revokes_the_credential(
    make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime()

    def broken(args: Any, ctx: TaskContext) -> dict[str, Any]:
        raise RuntimeError("the tool fell over")

    replace_tool(monkeypatch, "get_identity", broken)
    task_id, outcome = call_tool(runtime, "get_identity", MARIA)

    assert outcome.status == "error" and "RuntimeError" in outcome.content["error"]
    assert_all_revoked(runtime, task_id, "tool call ended")


def test_a_tool_that_times_out_loses_its_credential_before_it_wakes(
    make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime()
    wake, done = threading.Event(), threading.Event()
    late_call: list[BaseException] = []

    def slow(args: Any, ctx: TaskContext) -> dict[str, Any]:
        wake.wait(timeout=10)
        try:
            return ctx.provider.get_identity(ctx.credential, args.identity)
        except BaseException as exc:
            late_call.append(exc)
            raise
        finally:
            done.set()

    replace_tool(monkeypatch, "get_identity", slow)
    limits = TaskLimits(model_turns=2, tool_calls=2, tokens=1000, seconds=0.5)
    task_id, outcome = call_tool(runtime, "get_identity", MARIA, limits)

    assert outcome.status == "error" and "did not finish" in outcome.content["error"]
    assert_all_revoked(runtime, task_id, "tool call ended")
    wake.set()
    assert done.wait(timeout=10)
    assert len(late_call) == 1 and isinstance(late_call[0], CredentialRefused)
    assert "revoked" in str(late_call[0])


class BodyFailure(Exception):
    """Something the task's own code raised after it had a credential."""


@pytest.mark.parametrize(
    "failure",
    [BodyFailure("the task body broke"), LimitExceeded("tool_calls", 3, 2), KeyboardInterrupt()],
    ids=["exception", "limit", "interrupt"],
)
@pytest.mark.parametrize("call_left_open", [False, True], ids=["in-call", "call-left-open"])
def test_a_task_that_raises_after_issue_revokes_the_credential(
    make_runtime: MakeRuntime, failure: BaseException, call_left_open: bool
) -> None:
    runtime = make_runtime(seed=False)
    left_open = ExitStack()
    with (
        pytest.raises(type(failure)),
        runtime.tasks.run("thread", "U0A", LIMITS) as task,
        ExitStack() as call,
    ):
        credential = call.enter_context(runtime.broker.issue(task.id, "get_identity", READ, 60))
        assert runtime.provider.credential_accepted_by_id(credential.credential_id)
        if call_left_open:
            left_open = call.pop_all()  # only the task's end can revoke it now
        raise failure

    assert_all_revoked(runtime, task.id, "task ended" if call_left_open else "tool call ended")
    assert runtime.provider.credential_accepted(credential.secret) is False
    ends = [r for r in audit_rows(runtime, "task.end") if r["task_id"] == task.id]
    assert ends[0]["data"]["status"] == ("limit" if isinstance(failure, LimitExceeded) else "error")
    left_open.close()


def test_a_ttl_outside_one_to_900_seconds_is_refused(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(seed=False)

    for ttl in (0, -5, 901, 3600):
        with (
            pytest.raises(CredentialError, match=r"outside 1\.\.900s"),
            runtime.broker.issue("task_ttl", "get_identity", READ, ttl),
        ):
            pytest.fail(f"a credential was issued for {ttl}s")

    assert runtime.broker.credentials() == []
    assert audit_rows(runtime, "credential.issued") == []
    with runtime.broker.issue("task_ttl", "get_identity", READ, 900) as credential:
        [record] = runtime.broker.credentials()
        assert credential.expires_at == as_utc(record.expires_at)
        assert (record.expires_at - record.issued_at).total_seconds() == 900
    policy = runtime.settings.policy_path.read_text(encoding="utf-8")
    with pytest.raises(PolicyError, match="900"):
        load_policy_text(policy.replace("ttl_seconds: 120", "ttl_seconds: 901", 1))


def test_the_lab_refuses_a_credential_once_it_is_revoked(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    with runtime.tasks.run("thread", "U0A", LIMITS) as task:
        with runtime.broker.issue(task.id, "get_identity", READ, 60) as credential:
            assert runtime.provider.get_identity(credential, "p-maria-chen")["id"] == "p-maria-chen"

        with pytest.raises(CredentialRefused, match="revoked"):
            runtime.provider.get_identity(credential, "p-maria-chen")
        assert runtime.provider.credential_accepted(credential.secret) is False
        again = runtime.broker.revoke(credential.credential_id, reason="again", due_at=utcnow())

    assert again is None
    revocations = audit_rows(runtime, "credential.revoked")
    assert [r["data"]["credential_id"] for r in revocations] == [credential.credential_id]


def every_stored_row(engine: Engine) -> str:
    with engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        rows = [
            tuple(row) for table in tables for row in conn.execute(text(f"SELECT * FROM {table}"))
        ]
    return "\n".join(map(repr, rows))


def test_no_secret_is_stored_audited_or_shown_even_when_a_tool_echoes_it(
    make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime()
    minted: dict[str, str] = {}
    register = runtime.provider.register_credential

    def spy(credential_id: str, secret: str, *rest: Any) -> None:
        minted[credential_id] = secret
        register(credential_id, secret, *rest)

    def leaky(args: Any, ctx: TaskContext) -> dict[str, Any]:
        found = ctx.provider.get_identity(ctx.credential, args.identity)
        secret = ctx.credential.secret
        return {**found, "raw": secret, "debug": f"called with Authorization: Bearer {secret}"}

    def failing(args: Any, ctx: TaskContext) -> dict[str, Any]:
        raise ProviderError(f"upstream refused token {ctx.credential.secret}")

    monkeypatch.setattr(runtime.provider, "register_credential", spy)
    replace_tool(monkeypatch, "get_identity", leaky)
    replace_tool(monkeypatch, "list_oauth_grants", failing)
    triage = triage_alert(runtime, json.loads(MFA_ALERT.read_text(encoding="utf-8")))
    request_id = next(a.request_id for a in triage.actions if a.tool == "revoke_sessions")
    assert request_id and runtime.approvals.decide(request_id, "U0IDADMIN2", "approve").counted
    shown = [triage.model_dump_json(), execute(runtime, request_id).for_model()]
    shown += [
        call_tool(runtime, tool, MARIA)[1].for_model()
        for tool in ("get_identity", "list_oauth_grants")
    ]

    records = runtime.broker.credentials()
    assert len(records) == len(minted) > 5
    assert {r.id: r.fingerprint for r in records} == {
        cid: sha256_hex(secret)[:16] for cid, secret in minted.items()
    }
    results = audit_rows(runtime, "tool.result")
    echoed = [r["data"] for r in results if r["tool"] == "get_identity"]
    assert len(echoed) >= 2 and all("raw" in data["result"] for data in echoed)
    failed = [r["data"] for r in results if r["tool"] == "list_oauth_grants"]
    assert failed and all("upstream refused token" in data["error"] for data in failed)
    readable = "\n".join([*export_events(runtime.engine), every_stored_row(runtime.engine), *shown])
    leaked = [cid for cid, secret in minted.items() if secret in readable]
    assert leaked == []
