"""Which chat model a deployment talks to: OpenAI (or any compatible server) or Azure OpenAI."""

from __future__ import annotations

from bot.agent.azure_model import azure_from_settings
from bot.agent.openai_model import OpenAIChatModel
from bot.config import Settings
from bot.errors import ConfigError


def from_settings(settings: Settings) -> OpenAIChatModel:
    """The OpenAI (or Azure OpenAI) engine as configured; ConfigError when no key is set."""
    if settings.uses_azure:
        return azure_from_settings(settings)
    if settings.openai_api_key is None:
        raise ConfigError("OPENAI_API_KEY is not set: set it, or run the offline engine")
    return OpenAIChatModel(
        api_key=settings.openai_api_key.get_secret_value(),
        model=settings.openai_model,
        base_url=settings.openai_base_url,
        timeout=settings.openai_timeout_seconds,
        max_retries=settings.openai_max_retries,
        temperature=settings.model_temperature,
        top_p=settings.model_top_p,
        max_tokens=settings.model_max_tokens,
        context_window=settings.model_context_window,
    )
