"""Canaries of every kind, planted in every input socbot takes, must come out of no output.

Inputs: an alert's fields (through the intake), an analyst's Slack message, the model's
answers and tool-call arguments (over HTTP from the OpenAI stand-in), a tool's result, a
tool's exception, a model-server error, a rejected payload, and a log record. Each input
gets its own canaries, so a leak names where it came in.

Outputs searched: every column of every table, every request the model stand-in received,
every Web API call the Slack stand-in received, the captured logs, and the audit export in
both formats.
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from bot.agent.openai_model import OpenAIChatModel
from bot.alerts.intake.pipeline import Intake
from bot.audit.log import export_events
from tests.slack.test_triage_post import MFA_ALERT, served_with_alerts, triage_next
from tests.slack.thread_checks import MakeApp, post_and_settle
from tests.support.fakes import FakeOpenAIServer, ScriptedError, ScriptedReply, ScriptedToolCall
from tests.support.secret_canaries import Canary, one_of_each
from tests.support.slack import BOT_USER_ID, app_mention
from tests.support.slack_standin import SlackStandIn
from tests.tasks.test_credentials import replace_tool
from tools.base import TaskContext

INPUTS = (
    "alert_fields",
    "slack_message",
    "model_output",
    "tool_output",
    "tool_error",
    "model_server_error",
    "rejected_payload",
    "log_record",
)
PLANTED: dict[str, list[Canary]] = {
    name: one_of_each(seed=1000 + number) for number, name in enumerate(INPUTS)
}


def block(name: str) -> str:
    return "\n".join(canary.text for canary in PLANTED[name])


def planted_alert() -> dict[str, Any]:
    alert = copy.deepcopy(MFA_ALERT)
    canaries = block("alert_fields")
    alert["displayMessage"] = f"Push denied {canaries}"
    alert["client"]["userAgent"]["rawUserAgent"] = f"Mozilla/5.0 {canaries}"
    alert["actor"]["displayName"] = f"Maria Chen {canaries}"
    alert["debugContext"] = {"debugData": {"note": canaries}}
    return alert


def verdict_with(canaries: str) -> str:
    verdict = {
        "verdict": "suspicious",
        "severity": "medium",
        "confidence": 0.6,
        "summary": f"Denied pushes. {canaries}",
        "evidence": ["alert.source_ip", canaries],
        "recommended_actions": [],
    }
    return f"```json\n{json.dumps(verdict)}\n```"


def every_row(engine: Engine) -> str:
    rows: list[str] = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            result = conn.execute(text(f'SELECT * FROM "{table}"'))
            rows.extend(f"{table}: {row!r}" for row in result)
    return "\n".join(rows)


@pytest.fixture
def model_server() -> Any:
    with FakeOpenAIServer(model="gpt-fake") as server:
        yield server


def test_no_canary_from_any_input_reaches_any_output(
    slack_app: MakeApp,
    slack_standin: SlackStandIn,
    model_server: FakeOpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    model = OpenAIChatModel(
        "sk-test-not-a-real-key-0000", "gpt-fake", model_server.base_url, timeout=5, max_retries=0
    )
    served = served_with_alerts(slack_app, model=model)

    def leaky(args: Any, ctx: TaskContext) -> dict[str, Any]:
        return {"identity": "p-maria-chen", "notes": block("tool_output")}

    def failing(args: Any, ctx: TaskContext) -> dict[str, Any]:
        raise RuntimeError(f"provider said: {block('tool_error')}")

    replace_tool(monkeypatch, "get_identity", leaky)
    replace_tool(monkeypatch, "list_oauth_grants", failing)
    said = block("model_output")
    model_server.add(
        ScriptedReply(
            tool_calls=(
                ScriptedToolCall("get_identity", json.dumps({"identity": "p-maria-chen"})),
                ScriptedToolCall("list_oauth_grants", json.dumps({"identity": "p-maria-chen"})),
                ScriptedToolCall("get_identity", json.dumps({"identity": said[:200]})),
            )
        ),
        ScriptedReply(content=verdict_with(said)),
        ScriptedError(500, f"upstream failed on: {block('model_server_error')}"),
        ScriptedReply(content=f"Done. I have suspended them. {said}"),
    )

    outcome = Intake(served.runtime).accept(planted_alert(), via="webhook")
    assert outcome.status == "accepted", outcome
    triage_next(served)
    question = app_mention(f"<@{BOT_USER_ID}> what is this? {block('slack_message')}")
    post_and_settle(served, question, posts=len(slack_standin.calls("chat.postMessage")) + 1)
    follow_up = app_mention(f"<@{BOT_USER_ID}> and now?", thread_ts=question["ts"])
    post_and_settle(served, follow_up, posts=len(slack_standin.calls("chat.postMessage")) + 1)
    refused = Intake(served.runtime).accept({"weird": block("rejected_payload")}, via="webhook")
    assert refused.status == "rejected", refused
    logging.getLogger("bot.somewhere").warning("saw %s", block("log_record"))
    assert model_server.remaining == 0, "the scene did not reach every scripted model turn"

    outputs = {
        "database": every_row(served.runtime.engine),
        "model_requests": "\n".join(r.raw_body.decode() for r in model_server.requests),
        "slack_calls": json.dumps([c.params for c in slack_standin.calls()]),
        "logs": caplog.text + "\n".join(r.exc_text or "" for r in caplog.records),
        "export_jsonl": "\n".join(export_events(served.runtime.engine, fmt="jsonl")),
        "export_csv": "\n".join(export_events(served.runtime.engine, fmt="csv")),
    }
    # Each input really arrived somewhere (else the scene, not the redactor, kept it out).
    assert "[REDACTED:" in outputs["database"] and "[REDACTED:" in outputs["slack_calls"]
    leaks = [
        f"{source}/{canary.kind} -> {where}"
        for source, canaries in PLANTED.items()
        for canary in canaries
        for where, output in outputs.items()
        if canary.survives_in(output)
    ]
    checked = sum(map(len, PLANTED.values())) * len(outputs)
    print(
        f"canaries checked: {sum(map(len, PLANTED.values()))} inputs x {len(outputs)} outputs"
        f" = {checked}"
    )
    assert leaks == [], "\n".join(leaks)
