"""OpenAIChatModel against a real HTTP stand-in of the chat-completions API on 127.0.0.1."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from bot.agent.model import ModelReply, ToolCallRequest
from bot.agent.model_choice import from_settings
from bot.agent.openai_model import OpenAIChatModel
from bot.config import Settings
from bot.errors import ConfigError, ModelError
from tests.support.fakes import (
    FakeOpenAIServer,
    MalformedBody,
    ScriptedError,
    ScriptedReply,
    ScriptedToolCall,
)

API_KEY = "sk-test-4f1c9a0b7e2d"
MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "You triage identity alerts."},
    {"role": "user", "content": "Is alert 42 a real compromise?"},
]
GET_IDENTITY_SPEC: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_identity",
        "description": "Look up one identity.",
        "parameters": {
            "type": "object",
            "properties": {"identity": {"type": "string"}},
            "required": ["identity"],
        },
    },
}


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def model_for(server: FakeOpenAIServer, max_retries: int = 2) -> OpenAIChatModel:
    return OpenAIChatModel(
        api_key=API_KEY, model="gpt-4o-mini", base_url=server.base_url, timeout=5,
        max_retries=max_retries,
    )  # fmt: skip


def test_content_reply_is_returned_with_usage_and_server_model(server: FakeOpenAIServer) -> None:
    server.add(ScriptedReply(content="Benign.", model="gpt-4o-mini-2024", prompt_tokens=17))

    reply = model_for(server).complete(MESSAGES, [])

    assert reply.content == "Benign."
    assert reply.tool_calls == []
    assert reply.model == "gpt-4o-mini-2024"
    assert reply.finish_reason == "stop"
    assert reply.usage.prompt_tokens == 17
    assert reply.usage.completion_tokens > 0


def test_tool_calls_become_requests_with_raw_arguments(server: FakeOpenAIServer) -> None:
    calls = (
        ScriptedToolCall("get_identity", '{"identity": "alice@example.com"}', id="call_a"),
        ScriptedToolCall("list_sessions", '{"identity":"bob"}', id="call_b"),
    )
    server.add(ScriptedReply(tool_calls=calls))

    reply = model_for(server).complete(MESSAGES, [GET_IDENTITY_SPEC])

    assert reply.tool_calls == [
        ToolCallRequest("call_a", "get_identity", '{"identity": "alice@example.com"}'),
        ToolCallRequest("call_b", "list_sessions", '{"identity":"bob"}'),
    ]
    assert reply.finish_reason == "tool_calls"


def test_malformed_arguments_survive_as_raw_text(server: FakeOpenAIServer) -> None:
    broken = '{"identity": "alice", '
    server.add(ScriptedReply(tool_calls=(ScriptedToolCall("get_identity", broken),)))

    reply = model_for(server).complete(MESSAGES, [GET_IDENTITY_SPEC])

    assert [call.arguments for call in reply.tool_calls] == [broken]


def test_request_carries_messages_tools_model_and_key(server: FakeOpenAIServer) -> None:
    server.add(ScriptedReply(content="ok"))

    model_for(server).complete(MESSAGES, [GET_IDENTITY_SPEC])

    [request] = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.messages == MESSAGES
    assert request.tools == [GET_IDENTITY_SPEC]
    assert request.body["tool_choice"] == "auto"
    assert request.body["model"] == "gpt-4o-mini"
    assert request.body["temperature"] == 0
    assert request.authorization == f"Bearer {API_KEY}"


def test_no_tools_means_no_tools_field(server: FakeOpenAIServer) -> None:
    server.add(ScriptedReply(content="ok"))

    model_for(server).complete(MESSAGES, [])

    assert "tools" not in server.requests[0].body
    assert "tool_choice" not in server.requests[0].body


def test_reply_round_trips_as_the_next_assistant_message(server: FakeOpenAIServer) -> None:
    server.add(
        ScriptedReply(tool_calls=(ScriptedToolCall("get_identity", '{"identity":"a"}', "c1"),)),
        ScriptedReply(content="done"),
    )
    model = model_for(server)
    first = model.complete(MESSAGES, [GET_IDENTITY_SPEC])
    tool_result = {"role": "tool", "tool_call_id": "c1", "content": json.dumps({"ok": True})}

    model.complete([*MESSAGES, first.assistant_message(), tool_result], [GET_IDENTITY_SPEC])

    sent = server.requests[1].messages
    assert sent[2]["tool_calls"][0]["id"] == "c1"
    assert sent[2]["tool_calls"][0]["function"]["arguments"] == '{"identity":"a"}'
    assert sent[3] == tool_result


def test_rate_limit_is_retried_then_succeeds(server: FakeOpenAIServer) -> None:
    server.add(ScriptedError.rate_limited(), ScriptedReply(content="after the wait"))

    reply = model_for(server).complete(MESSAGES, [])

    assert reply.content == "after the wait"
    assert len(server.requests) == 2


def test_rate_limit_after_all_retries_says_so(server: FakeOpenAIServer) -> None:
    server.add(*[ScriptedError.rate_limited()] * 3)

    with pytest.raises(ModelError, match=r"rate limit.*after up to 2 retries"):
        model_for(server, max_retries=2).complete(MESSAGES, [])
    assert len(server.requests) == 3


def test_server_errors_exhaust_retries(server: FakeOpenAIServer) -> None:
    server.add(*[ScriptedError.server_error()] * 3)

    with pytest.raises(ModelError, match=r"500 after up to 2 retries") as caught:
        model_for(server, max_retries=2).complete(MESSAGES, [])
    assert server.base_url in str(caught.value)
    assert len(server.requests) == 3
    assert server.remaining == 0


def test_unauthorized_names_the_setting_and_never_the_key(server: FakeOpenAIServer) -> None:
    server.add(ScriptedError.unauthorized(f"Incorrect API key provided: {API_KEY}"))

    with pytest.raises(ModelError) as caught:
        model_for(server).complete(MESSAGES, [])

    assert "OPENAI_API_KEY" in str(caught.value)
    assert API_KEY not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert len(server.requests) == 1  # a refused key is not retried


def test_rejected_request_echoing_the_key_is_scrubbed(server: FakeOpenAIServer) -> None:
    server.add(ScriptedError(400, f"context length exceeded for key {API_KEY}"))

    with pytest.raises(ModelError, match="context length exceeded") as caught:
        model_for(server).complete(MESSAGES, [])

    assert API_KEY not in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        MalformedBody(),
        MalformedBody(b"<html>gateway</html>", "text/html"),
        MalformedBody(b'{"object": "list", "data": []}'),
    ],
    ids=["truncated-json", "html", "not-a-completion"],
)
def test_malformed_body_is_a_model_error(server: FakeOpenAIServer, body: MalformedBody) -> None:
    server.add(body)

    with pytest.raises(ModelError, match="OPENAI_BASE_URL"):
        model_for(server).complete(MESSAGES, [])


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        (ScriptedError(403, "no access", "invalid_request_error"), "check the key's project"),
        (ScriptedError(404, "model not found", "invalid_request_error"), "SOCBOT_MODEL"),
        (ScriptedError(429, "quota", "insufficient_quota", "insufficient_quota"), "billing"),
    ],
    ids=["403", "404", "quota"],
)
def test_refusals_say_what_to_check(
    server: FakeOpenAIServer, error: ScriptedError, advice: str
) -> None:
    server.add(error)

    with pytest.raises(ModelError, match=re.escape(advice)):
        model_for(server, max_retries=0).complete(MESSAGES, [])


def test_slow_server_times_out_with_advice(server: FakeOpenAIServer) -> None:
    server.add(ScriptedReply(content="too late", delay_seconds=1.0))
    model = OpenAIChatModel(API_KEY, "m", base_url=server.base_url, timeout=0.2, max_retries=0)

    with pytest.raises(ModelError, match=r"did not answer within 0\.2s.*SOCBOT_MODEL_TIMEOUT"):
        model.complete(MESSAGES, [])


def test_connection_refused_names_the_base_url() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/v1"
    model = OpenAIChatModel(API_KEY, "gpt-4o-mini", base_url=base_url, timeout=2, max_retries=0)

    with pytest.raises(ModelError, match="could not connect") as caught:
        model.complete(MESSAGES, [])

    assert base_url in str(caught.value)


def test_exhausted_script_fails_loudly(server: FakeOpenAIServer) -> None:
    with pytest.raises(ModelError, match="script exhausted"):
        model_for(server).complete(MESSAGES, [])
    assert len(server.requests) == 1


def test_from_settings_uses_the_configured_endpoint(server: FakeOpenAIServer) -> None:
    settings = Settings(
        OPENAI_API_KEY=API_KEY, OPENAI_BASE_URL=server.base_url, SOCBOT_MODEL="gpt-test",
        SOCBOT_MODEL_RETRIES=0,
    )  # fmt: skip
    server.add(ScriptedReply(content="configured"))

    model = from_settings(settings)
    reply: ModelReply = model.complete(MESSAGES, [])

    assert (model.engine, model.max_retries, reply.content) == ("openai:gpt-test", 0, "configured")
    assert server.requests[0].body["model"] == "gpt-test"
    assert API_KEY not in repr(model)
    assert from_settings(settings).base_url == server.base_url


def test_from_settings_without_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        from_settings(Settings(OPENAI_API_KEY=None, _env_file=None))
