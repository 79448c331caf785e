"""A whole triage with the real OpenAI engine, talking HTTP to a stand-in on 127.0.0.1.

The model's tool calls go through the real executor: reads run, an action is parked, an
undeclared tool is denied, malformed arguments come back as a clear error. When the endpoint
fails or cannot be reached, triage falls back to the offline engine and says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import text

import bot.demo_alerts
from bot.alerts.triage.run import triage_alert
from bot.alerts.triage.verdict import TriageResult
from bot.commands.triage_cmd import render_triage
from bot.runtime import Runtime
from tests.support.fakes import (
    FakeOpenAIServer,
    RecordedRequest,
    ScriptedError,
    ScriptedReply,
    ScriptedToolCall,
)
from tests.support.gate_checks import audit_rows, policy_text, rows_of
from tools import REGISTRY

API_KEY = "sk-proj-socbot-test-9c41d7e2a0b35f86"
MODEL = "gpt-4o-mini"
ALERT = json.loads(
    (Path(bot.demo_alerts.__file__).parent / "01-okta-mfa-push-fatigue.json").read_text("utf-8")
)
UNOFFERED = ("reset_mfa", "remove_from_group")  # registered, but this test's policy omits them
REASON = "Twelve denied pushes, then sign-in from a Tor exit node: contain the account."
VERDICT = {
    "verdict": "malicious",
    "severity": "high",
    "confidence": 0.87,
    "summary": "MFA push fatigue against maria.chen from a Tor exit node.",
    "evidence": ["alert.source_ip", "tool.recent_auth_events.events[0].outcome"],
    "recommended_actions": [{"tool": "suspend_identity", "arguments": {}, "reason": REASON}],
}
# Prose with braces before the block, as models write it: only the block is the verdict.
FINAL_ANSWER = (
    'Malicious. get_identity returned {"status": "active"} and twelve denied pushes.\n'
    "I asked for suspension; it waits for approvers.\n\n"
    f"```json\n{json.dumps(VERDICT, indent=2)}\n```"
)
MakeRuntime = Callable[..., Runtime]


def call(name: str, arguments: str | dict[str, Any]) -> ScriptedToolCall:
    return ScriptedToolCall(
        name, arguments if isinstance(arguments, str) else json.dumps(arguments)
    )


def investigation_script() -> list[ScriptedReply | ScriptedError]:
    return [
        ScriptedReply(
            tool_calls=(
                call("get_identity", {"identity": "maria.chen@lab.example"}),
                call("recent_auth_events", {"identity": "p-maria-chen", "hours": 24}),
            )
        ),
        ScriptedError.rate_limited(),
        ScriptedReply(
            tool_calls=(
                call("suspend_identity", {"identity": "p-maria-chen", "reason": REASON}),
                call("wipe_device", {"identity": "p-maria-chen"}),
                call("list_sessions", '{"identity": "p-maria-chen"'),
            )
        ),
        ScriptedReply(content=FINAL_ANSWER),
    ]


def without_unoffered(data: dict[str, Any]) -> None:
    for name in UNOFFERED:
        del data["tools"][name]


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(model=MODEL) as fake:
        yield fake


def openai_runtime(make_runtime: MakeRuntime, base_url: str, *, retries: int = 2) -> Runtime:
    """A seeded runtime whose engine is built from settings, as `socbot triage` builds it."""
    seeded = make_runtime(policy_text=policy_text(without_unoffered))
    settings = seeded.settings.model_copy(
        update={
            "openai_api_key": SecretStr(API_KEY),
            "openai_base_url": base_url,
            "openai_model": MODEL,
            "openai_timeout_seconds": 5.0,
            "openai_max_retries": retries,
        }
    )
    return Runtime(settings)


def tool_messages(request: RecordedRequest) -> dict[str, dict[str, Any]]:
    """tool_call_id → the parsed tool result the model was shown."""
    return {
        m["tool_call_id"]: json.loads(m["content"]) for m in request.messages if m["role"] == "tool"
    }


def tool_call_ids(request: RecordedRequest) -> dict[str, str]:
    """tool name → call id, from the last assistant message the request carries."""
    assistant = [m for m in request.messages if m["role"] == "assistant"][-1]
    return {c["function"]["name"]: c["id"] for c in assistant["tool_calls"]}


def test_openai_triage_runs_through_the_gate(
    make_runtime: MakeRuntime, server: FakeOpenAIServer
) -> None:
    server.add(*investigation_script())
    runtime = openai_runtime(make_runtime, server.base_url)
    assert runtime.model.engine == f"openai:{MODEL}"

    result = triage_alert(runtime, ALERT, actor="alert:test")

    assert server.remaining == 0 and len(server.requests) == 4
    assert_verdict_parsed(result)
    assert_actions(runtime, result)
    assert_requests(runtime, server.requests)
    assert_audited_without_the_key(runtime, result)


def assert_verdict_parsed(result: TriageResult) -> None:
    assert (result.engine, result.fell_back_because, result.stopped_by) == (
        f"openai:{MODEL}",
        None,
        None,
    )
    assert result.verdict == VERDICT["verdict"] and result.severity == VERDICT["severity"]
    assert result.confidence == VERDICT["confidence"] and result.summary == VERDICT["summary"]
    assert result.evidence == VERDICT["evidence"]
    assert result.investigated == ["get_identity", "recent_auth_events"]


def assert_actions(runtime: Runtime, result: TriageResult) -> None:
    actions = {a.tool: a for a in result.actions}
    assert set(actions) == {"suspend_identity", "wipe_device", "list_sessions"}
    parked = actions["suspend_identity"]
    assert parked.status == "awaiting_approval" and parked.request_id
    request = runtime.approvals.get(parked.request_id)
    assert (request.status, request.quorum, request.target) == ("pending", 2, "p-maria-chen")
    assert request.task_id == result.task_id and request.requester == "alert:test"
    assert actions["wipe_device"].status == "denied"
    assert "not a tool this policy declares" in actions["wipe_device"].detail["reason"]
    malformed = actions["list_sessions"]
    assert (malformed.status, malformed.rule) == ("denied", "tools.list_sessions.schema")
    assert "not valid JSON" in malformed.detail["reason"]
    with runtime.engine.connect() as conn:
        status = conn.execute(text("SELECT status FROM lab_identities WHERE id = 'p-maria-chen'"))
        assert status.scalar_one() == "active"  # parked, not run
    assert "PARKED for approval: suspend_identity" in render_triage(result)


def assert_requests(runtime: Runtime, requests: list[RecordedRequest]) -> None:
    offered = sorted(set(runtime.policies.current.tools) & set(REGISTRY))
    assert not set(UNOFFERED) & set(offered)
    for request in requests:
        assert request.path == "/v1/chat/completions"
        assert request.authorization == f"Bearer {API_KEY}"
        assert request.body["model"] == MODEL
        assert request.tools == [REGISTRY[name].openai_spec() for name in offered]
        assert request.messages[0]["role"] == "system"
    first, limited, retried, last = requests
    assert limited.raw_body == retried.raw_body  # the 429 was retried with the same turn

    reads = tool_messages(retried)
    ids = tool_call_ids(retried)
    identity = reads[ids["get_identity"]]
    assert identity["status"] == "ok" and identity["result"]["id"] == "p-maria-chen"
    events = reads[ids["recent_auth_events"]]
    assert events["status"] == "ok" and events["result"]["events"]

    answers = tool_messages(last)
    ids = tool_call_ids(last)
    assert answers[ids["suspend_identity"]]["status"] == "awaiting_approval"
    assert answers[ids["suspend_identity"]]["approvals_needed"] == 2
    assert answers[ids["wipe_device"]]["status"] == "denied"
    malformed = answers[ids["list_sessions"]]
    assert malformed["status"] == "denied"
    assert malformed["reason"].startswith("arguments are not valid JSON")
    assert len(first.messages) == 2 and len(last.messages) == len(retried.messages) + 4


def assert_audited_without_the_key(runtime: Runtime, result: TriageResult) -> None:
    rows = audit_rows(runtime.engine)
    ours = [r for r in rows if r["task_id"] == result.task_id]
    outputs = rows_of(ours, "model.output")
    assert [r["data"]["engine"] for r in outputs] == [f"openai:{MODEL}"] * 3
    assert [r["data"]["model"] for r in outputs] == [MODEL] * 3
    tool_calls = [r["tool"] for r in rows_of(ours, "tool.call")]
    assert tool_calls == [
        "get_identity",
        "recent_auth_events",
        "suspend_identity",
        "wipe_device",
        "list_sessions",
    ]
    assert len(rows_of(ours, "action.requested", "suspend_identity")) == 1
    everything = json.dumps(rows)
    assert API_KEY not in everything and API_KEY[-12:] not in everything
    with runtime.engine.connect() as conn:
        for table in ("task", "action_request", "credential"):
            stored = json.dumps(
                [list(r) for r in conn.execute(text(f"SELECT * FROM {table}"))], default=str
            )
            assert API_KEY not in stored


# -- falling back to the offline engine ---------------------------------------------------------


def assert_offline_fallback(runtime: Runtime, result: TriageResult, reason: str) -> None:
    assert result.engine == "offline"
    assert result.fell_back_because is not None and reason in result.fell_back_because
    assert API_KEY not in result.fell_back_because
    assert result.investigated, "the offline engine should still investigate"
    assert "the offline engine answered instead" in render_triage(result)
    ours = [r for r in audit_rows(runtime.engine) if r["task_id"] == result.task_id]
    errors = [r for r in ours if r["kind"] == "error"]
    assert [e["data"]["fallback"] for e in errors] == ["offline"]
    assert reason in errors[0]["data"]["message"]
    after = [r for r in rows_of(ours, "model.output") if r["seq"] > errors[0]["seq"]]
    assert after and {r["data"]["engine"] for r in after} == {"offline"}
    assert API_KEY not in json.dumps(ours)


def test_server_errors_fall_back_to_the_offline_engine(
    make_runtime: MakeRuntime, server: FakeOpenAIServer
) -> None:
    server.add(*[ScriptedError.server_error() for _ in range(3)])
    runtime = openai_runtime(make_runtime, server.base_url, retries=2)

    result = triage_alert(runtime, ALERT, actor="alert:test")

    assert len(server.requests) == 3 and server.remaining == 0  # first try and two retries
    assert_offline_fallback(runtime, result, "failed with 500")
    ours = [r for r in audit_rows(runtime.engine) if r["task_id"] == result.task_id]
    assert {r["data"]["engine"] for r in rows_of(ours, "model.output")} == {"offline"}


def test_an_unreachable_endpoint_falls_back_to_the_offline_engine(
    make_runtime: MakeRuntime,
) -> None:
    with FakeOpenAIServer() as gone:
        base_url = gone.base_url  # nothing listens here once it has stopped
    runtime = openai_runtime(make_runtime, base_url, retries=0)

    result = triage_alert(runtime, ALERT, actor="alert:test")

    assert gone.requests == []
    assert_offline_fallback(runtime, result, "could not connect")


def test_a_failure_mid_conversation_falls_back_without_losing_the_audit_trail(
    make_runtime: MakeRuntime, server: FakeOpenAIServer
) -> None:
    first_turn = investigation_script()[0]
    server.add(first_turn, *[ScriptedError.server_error() for _ in range(2)])
    runtime = openai_runtime(make_runtime, server.base_url, retries=1)

    result = triage_alert(runtime, ALERT, actor="alert:test")

    assert_offline_fallback(runtime, result, "failed with 500")
    ours = [r for r in audit_rows(runtime.engine) if r["task_id"] == result.task_id]
    by_openai = [r for r in rows_of(ours, "tool.call") if r["actor"] == f"model:openai:{MODEL}"]
    assert [r["tool"] for r in by_openai] == ["get_identity", "recent_auth_events"]


def test_an_action_parked_before_the_model_failed_stays_in_the_result(
    make_runtime: MakeRuntime, server: FakeOpenAIServer
) -> None:
    parks = ScriptedReply(
        tool_calls=(call("suspend_identity", {"identity": "p-maria-chen", "reason": REASON}),)
    )
    server.add(parks, *[ScriptedError.server_error() for _ in range(2)])
    runtime = openai_runtime(make_runtime, server.base_url, retries=1)

    result = triage_alert(runtime, ALERT, actor="alert:test")

    assert result.engine == "offline" and result.fell_back_because is not None
    parked = {a.request_id for a in result.actions if a.status == "awaiting_approval"}
    stored = {r.id for r in runtime.approvals.list_requests() if r.task_id == result.task_id}
    pending = {r.id for r in runtime.approvals.list_requests("pending")}
    assert stored & pending <= parked
    by_model = [
        r
        for r in runtime.approvals.list_requests()
        if r.task_id == result.task_id and r.args.get("reason") == REASON
    ]
    assert len(by_model) == 1 and by_model[0].id in parked
