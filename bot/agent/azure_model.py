"""Azure OpenAI through the openai client's AzureOpenAI class: deployment URLs, api-version,
and either an API key or a Microsoft Entra ID token from a token provider.

With Entra the token provider is asked for a token on every request, so a token that
expires is replaced without a restart. The default provider is azure-identity's
DefaultAzureCredential (managed identity, workload identity, environment or Azure CLI),
installed with the `azure` extra.
"""

from __future__ import annotations

from collections.abc import Callable

import openai

from bot.agent.openai_model import OpenAIChatModel
from bot.config import Settings
from bot.errors import ConfigError

TokenProvider = Callable[[], str]
ENTRA_SCOPE = "https://cognitiveservices.azure.com/.default"


def azure_from_settings(
    settings: Settings, token_provider: TokenProvider | None = None
) -> OpenAIChatModel:
    """The Azure OpenAI engine as configured; ConfigError names the setting that is missing."""
    endpoint = settings.azure_openai_endpoint
    deployment = settings.azure_openai_deployment
    if not endpoint:
        raise ConfigError(
            "AZURE_OPENAI_ENDPOINT is not set: set it to https://NAME.openai.azure.com"
        )
    if not deployment:
        raise ConfigError("AZURE_OPENAI_DEPLOYMENT is not set: set it to the deployment's name")
    key = ""
    if settings.azure_openai_auth == "entra":
        provider = token_provider or entra_token_provider()
        client = openai.AzureOpenAI(
            azure_endpoint=endpoint,
            api_version=settings.azure_openai_api_version,
            azure_ad_token_provider=provider,
            timeout=settings.openai_timeout_seconds,
            max_retries=settings.openai_max_retries,
        )
    else:
        secret = settings.azure_openai_api_key
        key = secret.get_secret_value() if secret is not None else ""
        if not key:
            raise ConfigError(
                "AZURE_OPENAI_API_KEY is not set: set it, or use SOCBOT_AZURE_AUTH=entra"
            )
        client = openai.AzureOpenAI(
            azure_endpoint=endpoint,
            api_version=settings.azure_openai_api_version,
            api_key=key,
            timeout=settings.openai_timeout_seconds,
            max_retries=settings.openai_max_retries,
        )
    return OpenAIChatModel(
        key,
        deployment,  # the client turns it into /openai/deployments/<deployment>/...
        timeout=settings.openai_timeout_seconds,
        max_retries=settings.openai_max_retries,
        temperature=settings.model_temperature,
        top_p=settings.model_top_p,
        max_tokens=settings.model_max_tokens,
        context_window=settings.model_context_window,
        client=client,
        engine=f"azure:{deployment}",
        family=settings.openai_model,
        key_setting="AZURE_OPENAI_API_KEY (or the Entra credential)",
    )


def entra_token_provider() -> TokenProvider:
    """Tokens for Azure OpenAI from DefaultAzureCredential (the `azure` extra)."""
    try:
        from azure.identity import DefaultAzureCredential, get_bearer_token_provider
    except ImportError:
        raise ConfigError(
            "SOCBOT_AZURE_AUTH=entra needs azure-identity: pip install 'socbot[azure]'"
        ) from None
    provider: TokenProvider = get_bearer_token_provider(DefaultAzureCredential(), ENTRA_SCOPE)
    return provider
