"""What the OpenAI engine sends: an output cap, sampling settings only where the model takes
them, a timeout bounded by the task's time left; and what it learns from a server's 400."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from bot.agent.model import CallOptions
from bot.agent.model_choice import from_settings
from bot.agent.model_profile import UNKNOWN_CONTEXT_WINDOW, profile_for
from bot.agent.openai_model import OpenAIChatModel
from bot.config import Settings
from bot.errors import ModelError
from tests.support.fakes import ScriptedError, ScriptedReply
from tests.support.model_standin import (
    UNSUPPORTED_MAX_TOKENS,
    UNSUPPORTED_TEMPERATURE,
    StrictOpenAIServer,
    request_body,
)

API_KEY = "sk-test-request-5b7e"
MESSAGES: list[dict[str, Any]] = [{"role": "user", "content": "Is alert 7 real?"}]


@pytest.fixture
def server() -> Iterator[StrictOpenAIServer]:
    with StrictOpenAIServer(requires_cap=True) as fake:
        yield fake


def settings_for(server: StrictOpenAIServer, **env: Any) -> Settings:
    return Settings(
        _env_file=None,
        OPENAI_API_KEY=API_KEY,
        OPENAI_BASE_URL=server.base_url,
        SOCBOT_MODEL_RETRIES=0,
        **env,
    )


def test_the_output_cap_and_sampling_come_from_settings(server: StrictOpenAIServer) -> None:
    server.add(ScriptedReply(content="ok"))
    settings = settings_for(
        server, SOCBOT_MODEL_MAX_TOKENS=300, SOCBOT_MODEL_TEMPERATURE=0.2, SOCBOT_MODEL_TOP_P=0.9
    )

    from_settings(settings).complete(MESSAGES, [])

    body = request_body(server)
    assert (body["max_tokens"], body["temperature"], body["top_p"]) == (300, 0.2, 0.9)


def test_a_reply_longer_than_the_cap_finishes_with_length(server: StrictOpenAIServer) -> None:
    server.add(ScriptedReply(content="word " * 400))

    reply = from_settings(settings_for(server, SOCBOT_MODEL_MAX_TOKENS=50)).complete(MESSAGES, [])

    assert reply.finish_reason == "length" and reply.usage.completion_tokens == 50


@pytest.mark.parametrize("model", ["o3-mini", "o1", "gpt-5-mini", "azure/o4-mini"])
def test_reasoning_models_get_no_sampling_settings(model: str) -> None:
    with StrictOpenAIServer(requires_cap=True, refuses={"temperature": "x", "top_p": "y"}) as fake:
        fake.add(ScriptedReply(content="ok"))
        settings = settings_for(fake, SOCBOT_MODEL=model, SOCBOT_MODEL_TOP_P=0.5)

        from_settings(settings).complete(MESSAGES, [])

        body = request_body(fake)
        assert len(fake.requests) == 1
        assert "temperature" not in body and "top_p" not in body
        assert body["max_completion_tokens"] == settings.model_max_tokens
        assert "max_tokens" not in body


def test_a_refused_sampling_setting_is_dropped_and_remembered() -> None:
    refuses = {"temperature": UNSUPPORTED_TEMPERATURE}
    with StrictOpenAIServer(refuses=refuses, requires_cap=True) as fake:
        fake.add(ScriptedReply(content="first"), ScriptedReply(content="second"))
        model = from_settings(settings_for(fake, SOCBOT_MODEL="my-reasoner"))

        assert model.complete(MESSAGES, []).content == "first"
        assert model.complete(MESSAGES, []).content == "second"

        assert ["temperature" in r.body for r in fake.requests] == [True, False, False]


def test_a_refused_max_tokens_becomes_max_completion_tokens() -> None:
    refuses = {"max_tokens": UNSUPPORTED_MAX_TOKENS}
    with StrictOpenAIServer(refuses=refuses, requires_cap=True) as fake:
        fake.add(ScriptedReply(content="capped"))
        model = from_settings(
            settings_for(fake, SOCBOT_MODEL="new-model", SOCBOT_MODEL_MAX_TOKENS=99)
        )

        assert model.complete(MESSAGES, []).content == "capped"

        assert request_body(fake)["max_completion_tokens"] == 99
        assert "max_tokens" not in request_body(fake)


def test_a_400_that_names_no_optional_parameter_is_shown_as_is(
    server: StrictOpenAIServer,
) -> None:
    reason = "This model's maximum context length is 8192 tokens; you requested 9100"
    server.add(ScriptedError(400, reason, "invalid_request_error"))

    with pytest.raises(ModelError, match=re.escape(reason)):
        from_settings(settings_for(server)).complete(MESSAGES, [])
    assert len(server.requests) == 1


def test_a_too_large_cap_is_not_mistaken_for_an_unsupported_one(
    server: StrictOpenAIServer,
) -> None:
    server.add(ScriptedError(400, "max_tokens is too large: 99999", "invalid_request_error"))

    with pytest.raises(ModelError, match="too large"):
        from_settings(settings_for(server)).complete(MESSAGES, [])
    assert len(server.requests) == 1


def test_a_call_is_bounded_by_the_time_the_task_has_left(server: StrictOpenAIServer) -> None:
    server.add(ScriptedReply(content="too late", delay_seconds=1.5))
    model = OpenAIChatModel(API_KEY, "gpt-4o-mini", base_url=server.base_url, timeout=30)

    with pytest.raises(ModelError, match="the time the task had left"):
        model.complete(MESSAGES, [], CallOptions(timeout=0.3))
    assert len(server.requests) == 1  # no time for a retry


def test_known_families_have_a_context_window_and_the_setting_wins() -> None:
    assert profile_for("gpt-4o-mini").context_window == 128_000
    assert profile_for("openai/gpt-4.1-nano").context_window == 1_047_576
    assert profile_for("Meta-Llama-3.1-8B-Instruct").context_window == 131_072
    assert profile_for("gpt-4o", context_window=16_000).context_window == 16_000
    unknown = profile_for("some-local-gguf")
    assert (unknown.context_window, unknown.known) == (UNKNOWN_CONTEXT_WINDOW, False)


@pytest.mark.parametrize("unset", ["", "none"])
def test_a_sampling_setting_can_be_left_out(server: StrictOpenAIServer, unset: str) -> None:
    server.add(ScriptedReply(content="ok"))

    from_settings(settings_for(server, SOCBOT_MODEL_TEMPERATURE=unset)).complete(MESSAGES, [])

    assert "temperature" not in request_body(server)
