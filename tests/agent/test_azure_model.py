"""Azure OpenAI: the engine built from settings talks to an Azure-shaped stand-in over HTTP,
with a key or with Entra tokens from a token provider, and says which setting is wrong."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.agent.azure_model import azure_from_settings
from bot.agent.model_choice import from_settings
from bot.config import Settings
from bot.errors import ConfigError, ModelError
from tests.support.fakes import ScriptedReply
from tests.support.model_standin import AzureOpenAIServer, request_body

KEY = "azkey-0f4e9d1c2b3a"
DEPLOYMENT = "soc-triage-prod"
MESSAGES: list[dict[str, Any]] = [{"role": "user", "content": "Is alert 9 real?"}]


@pytest.fixture
def azure() -> Iterator[AzureOpenAIServer]:
    with AzureOpenAIServer(deployment=DEPLOYMENT, api_keys={KEY}, tokens={"t-1", "t-2"}) as fake:
        yield fake


def azure_settings(server: AzureOpenAIServer, **env: Any) -> Settings:
    values: dict[str, Any] = {
        "AZURE_OPENAI_ENDPOINT": server.endpoint,
        "AZURE_OPENAI_DEPLOYMENT": DEPLOYMENT,
        "AZURE_OPENAI_API_KEY": KEY,
        "SOCBOT_MODEL_RETRIES": 0,
        **env,
    }
    return Settings(_env_file=None, **values)


def test_a_key_reaches_the_deployment_with_its_api_version(azure: AzureOpenAIServer) -> None:
    azure.add(ScriptedReply(content="from azure"))
    settings = azure_settings(azure)
    assert not settings.uses_offline_engine

    model = from_settings(settings)
    reply = model.complete(MESSAGES, [])

    assert (reply.content, model.engine) == ("from azure", f"azure:{DEPLOYMENT}")
    [request] = azure.requests
    assert request.path == (
        f"/openai/deployments/{DEPLOYMENT}/chat/completions?api-version=2024-10-21"
    )
    assert request.headers["api-key"] == KEY and "authorization" not in request.headers
    assert request_body(azure)["max_tokens"] == settings.model_max_tokens


def test_entra_tokens_come_from_the_provider_on_every_request(azure: AzureOpenAIServer) -> None:
    issued = iter(["t-1", "t-2"])
    azure.add(ScriptedReply(content="first"), ScriptedReply(content="second"))
    settings = azure_settings(azure, SOCBOT_AZURE_AUTH="entra", AZURE_OPENAI_API_KEY=None)
    model = azure_from_settings(settings, token_provider=lambda: next(issued))

    assert model.complete(MESSAGES, []).content == "first"
    azure.expired.add("t-1")  # a stale token is refused; the provider hands out a fresh one
    assert model.complete(MESSAGES, []).content == "second"

    auth = [r.headers.get("authorization") for r in azure.requests]
    assert auth == ["Bearer t-1", "Bearer t-2"]
    assert all("api-key" not in r.headers for r in azure.requests)


def test_a_wrong_key_names_the_azure_setting(azure: AzureOpenAIServer) -> None:
    model = from_settings(azure_settings(azure, AZURE_OPENAI_API_KEY="azkey-wrong-000"))

    with pytest.raises(ModelError, match=r"401.*AZURE_OPENAI_API_KEY") as caught:
        model.complete(MESSAGES, [])
    assert "azkey-wrong-000" not in str(caught.value)


def test_an_unknown_deployment_shows_azures_reason(azure: AzureOpenAIServer) -> None:
    model = from_settings(azure_settings(azure, AZURE_OPENAI_DEPLOYMENT="no-such-deployment"))

    with pytest.raises(ModelError, match="404"):
        model.complete(MESSAGES, [])


def test_the_deployments_model_family_decides_the_request_shape(
    azure: AzureOpenAIServer,
) -> None:
    azure.add(ScriptedReply(content="reasoned"))
    model = from_settings(azure_settings(azure, SOCBOT_MODEL="o3-mini"))

    model.complete(MESSAGES, [])

    body = request_body(azure)
    assert "temperature" not in body and body["max_completion_tokens"] > 0


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"AZURE_OPENAI_DEPLOYMENT": None}, "AZURE_OPENAI_DEPLOYMENT"),
        ({"AZURE_OPENAI_API_KEY": None}, "AZURE_OPENAI_API_KEY"),
    ],
)
def test_missing_settings_are_named(
    azure: AzureOpenAIServer, env: dict[str, Any], setting: str
) -> None:
    with pytest.raises(ConfigError, match=setting):
        from_settings(azure_settings(azure, **env))
