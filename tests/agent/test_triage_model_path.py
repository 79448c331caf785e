"""Triage through the real OpenAI engine against a stand-in that behaves like real servers:
replies cut at the output cap, verdicts that do not parse, a server without structured
outputs or without tools, usage it misreports, answers that come too late, refusals."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr

import bot.demo_alerts
from bot.agent.final_answer import LENGTH_NUDGE, NUDGE_PREFIX
from bot.agent.loop import MAX_STORED_OUTPUT_CHARS
from bot.alerts.triage.run import triage_alert
from bot.alerts.triage.verdict import TriageResult
from bot.commands.triage_cmd import render_triage
from bot.runtime import Runtime
from tests.support.fakes import MalformedBody, ScriptedReply, ScriptedToolCall
from tests.support.gate_checks import audit_rows, rows_of, with_task_limits
from tests.support.model_standin import UNSUPPORTED_RESPONSE_FORMAT, StrictOpenAIServer

MakeRuntime = Callable[..., Runtime]
API_KEY = "sk-proj-model-path-77d1c0"
ALERT = json.loads(
    (Path(bot.demo_alerts.__file__).parent / "01-okta-mfa-push-fatigue.json").read_text("utf-8")
)
VERDICT = {
    "verdict": "malicious",
    "severity": "high",
    "confidence": 0.9,
    "summary": "Push fatigue then a Tor sign-in.",
    "evidence": ["alert.source_ip"],
    "recommended_actions": [],
}
BENIGN = '{"verdict": "benign", "severity": "low", "confidence": 0.95, "summary": "Routine."}'


def runtime_for(
    make_runtime: MakeRuntime,
    server: StrictOpenAIServer,
    policy_text: str | None = None,
    **env: Any,
) -> Runtime:
    seeded = make_runtime(policy_text=policy_text)
    settings = seeded.settings.model_copy(
        update={
            "openai_api_key": SecretStr(API_KEY),
            "openai_base_url": server.base_url,
            "openai_model": "gpt-4o-mini",
            "openai_timeout_seconds": 10.0,
            "openai_max_retries": 0,
            **env,
        }
    )
    return Runtime(settings)


def last_user(server: StrictOpenAIServer, index: int) -> str:
    return str(server.requests[index].messages[-1]["content"])


def ours(runtime: Runtime, result: TriageResult) -> list[dict[str, Any]]:
    return [r for r in audit_rows(runtime.engine) if r["task_id"] == result.task_id]


# -- item 1: the output cap ---------------------------------------------------------------------


def test_a_reply_cut_at_the_cap_is_asked_again_never_read_as_a_verdict(
    make_runtime: MakeRuntime,
) -> None:
    with StrictOpenAIServer(requires_cap=True) as server:
        # The verdict block fits in the cap, the rest does not: the reply is cut mid-answer.
        server.add(ScriptedReply(content=BENIGN + " but on reflection " * 200))
        server.add(ScriptedReply(content=json.dumps(VERDICT)))
        runtime = runtime_for(make_runtime, server, model_max_tokens=64)

        result = triage_alert(runtime, ALERT, actor="alert:test")

    assert [r.body["max_tokens"] for r in server.requests] == [64, 64]
    assert last_user(server, 1) == LENGTH_NUDGE.format(limit=64)
    assert (result.verdict, result.verdict_problem) == ("malicious", None)


def test_a_reply_cut_twice_is_reported_as_unreadable(make_runtime: MakeRuntime) -> None:
    with StrictOpenAIServer(requires_cap=True) as server:
        server.add(*[ScriptedReply(content=BENIGN + " and yet " * 300) for _ in range(2)])
        runtime = runtime_for(make_runtime, server, model_max_tokens=64)

        result = triage_alert(runtime, ALERT, actor="alert:test")

    assert result.verdict != "benign" and result.confidence == 0
    assert result.verdict_problem and "cut off at the output limit" in result.verdict_problem
    assert "verdict could not be read" in render_triage(result)
    [stored] = rows_of(ours(runtime, result), "triage.result") or [None]
    assert stored is None or stored["data"]["verdict_problem"]


# -- item 2: structured output, strict parse, one repair turn -----------------------------------


def test_the_verdict_is_asked_for_as_a_json_schema(make_runtime: MakeRuntime) -> None:
    with StrictOpenAIServer() as server:
        server.add(ScriptedReply(content=json.dumps(VERDICT)))
        runtime = runtime_for(make_runtime, server)

        result = triage_alert(runtime, ALERT, actor="alert:test")

    response_format = server.requests[0].body["response_format"]
    assert response_format["type"] == "json_schema"
    schema = response_format["json_schema"]["schema"]
    assert {"verdict", "severity", "confidence", "summary"} <= set(schema["required"])
    assert (result.verdict, result.severity, result.verdict_problem) == ("malicious", "high", None)


def test_a_server_without_structured_outputs_gets_the_prompt_format(
    make_runtime: MakeRuntime,
) -> None:
    refuses = {"response_format": UNSUPPORTED_RESPONSE_FORMAT}
    with StrictOpenAIServer(refuses=refuses) as server:
        server.add(
            ScriptedReply(tool_calls=(ScriptedToolCall("get_identity", '{"identity": "x"}'),)),
            ScriptedReply(content=f"Malicious.\n```json\n{json.dumps(VERDICT)}\n```"),
        )
        runtime = runtime_for(make_runtime, server)

        result = triage_alert(runtime, ALERT, actor="alert:test")

    sent = ["response_format" in r.body for r in server.requests]
    assert sent == [True, False, False]  # refused once, then never sent again
    assert (result.verdict, result.verdict_problem) == ("malicious", None)


def test_an_answer_without_a_verdict_gets_one_repair_turn(make_runtime: MakeRuntime) -> None:
    with StrictOpenAIServer() as server:
        server.add(
            ScriptedReply(content="I think this is probably fine."),
            ScriptedReply(content=json.dumps(VERDICT)),
        )
        runtime = runtime_for(make_runtime, server, model_structured_output=False)

        result = triage_alert(runtime, ALERT, actor="alert:test")

    assert "response_format" not in server.requests[0].body
    repair = last_user(server, 1)
    assert repair.startswith(NUDGE_PREFIX) and "no JSON verdict" in repair
    assert (result.verdict, result.verdict_problem) == ("malicious", None)


def test_a_verdict_that_never_parses_is_flagged_not_defaulted(make_runtime: MakeRuntime) -> None:
    partial = '{"verdict": "malicious"}'  # valid JSON, but no severity, confidence or summary
    with StrictOpenAIServer() as server:
        server.add(ScriptedReply(content=partial), ScriptedReply(content=partial))
        runtime = runtime_for(make_runtime, server)

        result = triage_alert(runtime, ALERT, actor="alert:test")

    assert len(server.requests) == 2
    assert result.verdict_problem and "severity" in result.verdict_problem
    assert result.confidence == 0
    shown = render_triage(result)
    assert shown.startswith("WARNING: the model's verdict could not be read")


def test_a_deeply_nested_answer_is_flagged_without_a_recursion_error(
    make_runtime: MakeRuntime,
) -> None:
    deep = '{"verdict": ' + "[" * 60_000 + "]" * 60_000 + "}"
    with StrictOpenAIServer() as server:
        server.add(ScriptedReply(content=deep), ScriptedReply(content=deep))
        runtime = runtime_for(make_runtime, server)

        result = triage_alert(runtime, ALERT, actor="alert:test")

    assert result.verdict_problem is not None
    outputs = rows_of(ours(runtime, result), "model.output")
    stored = [len(r["data"]["content"]) for r in outputs]
    assert stored and max(stored) < MAX_STORED_OUTPUT_CHARS + 100  # the output is capped


# -- item 4: a server that cannot call tools ----------------------------------------------------


def test_tool_calls_written_as_text_are_reported(make_runtime: MakeRuntime) -> None:
    as_text = '<tool_call>{"name": "get_identity", "arguments": {"identity": "x"}}</tool_call>'
    with StrictOpenAIServer() as server:
        server.add(ScriptedReply(content=as_text), ScriptedReply(content=json.dumps(VERDICT)))
        runtime = runtime_for(make_runtime, server)

        result = triage_alert(runtime, ALERT, actor="alert:test")

    [warning] = result.model_warnings
    assert "cannot call tools" in warning and "'<tool_call>'" in warning
    [row] = rows_of(ours(runtime, result), "model.warning")
    assert row["data"]["warning"] == "tools_unsupported"
    assert "model server problem" in render_triage(result)


def test_a_prompt_count_without_the_tools_is_reported(make_runtime: MakeRuntime) -> None:
    verdict = json.dumps(VERDICT)
    with StrictOpenAIServer() as server:
        runtime = runtime_for(make_runtime, server)
        server.add(ScriptedReply(content=verdict))  # the stand-in counts messages and tools
        first = triage_alert(runtime, ALERT, actor="alert:test")
        sent = runtime.counter.count_messages(server.requests[0].messages)
        # The same request from a server that counts the messages but not the tools, then
        # from one whose count leaves out a cached prefix (which says nothing about tools).
        server.add(ScriptedReply(content=verdict, prompt_tokens=sent + 20))
        dropped = triage_alert(runtime, ALERT, actor="alert:test")
        server.add(ScriptedReply(content=verdict, prompt_tokens=sent // 3))
        cached = triage_alert(runtime, ALERT, actor="alert:test")

    assert first.model_warnings == [] and cached.model_warnings == []
    assert dropped.verdict == "malicious"
    assert dropped.model_warnings and "drops the tools" in dropped.model_warnings[0]


# -- items 3 and 6: tokens counted here, time bounded per call ----------------------------------


def test_a_server_reporting_no_usage_still_uses_up_the_token_budget(
    make_runtime: MakeRuntime,
) -> None:
    looking = ScriptedReply(
        tool_calls=(ScriptedToolCall("get_identity", '{"identity": "p-maria-chen"}'),),
        prompt_tokens=0,
        completion_tokens=0,
    )
    with StrictOpenAIServer() as server:
        server.add(*[looking] * 8)
        policy = with_task_limits(tokens=15_000, model_turns=12)
        runtime = runtime_for(make_runtime, server, policy_text=policy)

        result = triage_alert(runtime, ALERT, actor="alert:test")

    assert result.stopped_by == "tokens"
    assert len(server.requests) <= 4  # each request carries the ~3,300 tokens of tool schemas
    [end] = rows_of(ours(runtime, result), "task.end")
    assert end["data"]["tokens"] > 15_000


def test_a_model_call_ends_when_the_task_runs_out_of_time(make_runtime: MakeRuntime) -> None:
    with StrictOpenAIServer() as server:
        server.add(ScriptedReply(content=json.dumps(VERDICT), delay_seconds=6))
        runtime = runtime_for(make_runtime, server, policy_text=with_task_limits(seconds=2))
        started = time.monotonic()

        result = triage_alert(runtime, ALERT, actor="alert:test")

    assert time.monotonic() - started < 5  # not the 10 s the setting allows per call
    assert result.stopped_by == "seconds"


# -- item 7: the model's own reason is shown ----------------------------------------------------


def test_a_refusal_is_shown_with_its_reason(make_runtime: MakeRuntime) -> None:
    refusal = {
        "id": "chatcmpl-refused",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "refusal": "I can't help with investigating this person.",
                },
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }
    with StrictOpenAIServer() as server:
        server.add(MalformedBody(json.dumps(refusal).encode()))
        runtime = runtime_for(make_runtime, server)

        result = triage_alert(runtime, ALERT, actor="alert:test")

    assert result.engine == "offline" and result.fell_back_because
    assert "declined to answer: I can't help with investigating" in result.fell_back_because
    assert "unreachable" not in render_triage(result)


def test_deeply_nested_tool_arguments_are_denied_not_raised(make_runtime: MakeRuntime) -> None:
    deep = '{"identity": ' + "[" * 5_000 + "]" * 5_000 + "}"
    also_deep = '{"identity": ' + "[" * 100 + "]" * 100 + "}"  # within the decoder, over ours
    with StrictOpenAIServer() as server:
        server.add(
            ScriptedReply(
                tool_calls=(
                    ScriptedToolCall("get_identity", deep),
                    ScriptedToolCall("list_sessions", also_deep),
                )
            ),
            ScriptedReply(content=json.dumps(VERDICT)),
        )
        runtime = runtime_for(make_runtime, server)

        result = triage_alert(runtime, ALERT, actor="alert:test")

    denied = {a.tool: a.detail["reason"] for a in result.actions}
    assert "nested too deeply" in denied["get_identity"]
    assert "nested deeper than" in denied["list_sessions"]
    assert result.verdict == "malicious"
