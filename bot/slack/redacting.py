"""Every Slack Web API call a WebClient makes goes out redacted: message text, blocks,
attachments, ephemeral notices, modal views, uploads' comments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

from bot.redaction import Redactor, default_redactor

_PAYLOADS = ("json", "data", "params")
_WRAPPED = "_socbot_redacting"


def redact_calls(client: WebClient, redactor: Redactor | None = None) -> WebClient:
    """The same client, its api_call (which every Web API method goes through) redacting.

    The client object is kept, not copied, so whoever holds it keeps its token and settings.
    """
    if getattr(client, _WRAPPED, False):
        return client
    chosen = redactor if redactor is not None else default_redactor()
    original: Callable[..., SlackResponse] = client.api_call

    def api_call(api_method: str, **kwargs: Any) -> SlackResponse:
        for name in _PAYLOADS:
            payload = kwargs.get(name)
            if isinstance(payload, dict):
                kwargs[name] = _redacted(payload, chosen)
        return original(api_method, **kwargs)

    client.api_call = api_call  # type: ignore[method-assign]
    setattr(client, _WRAPPED, True)
    return client


def _redacted(payload: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    # `token` is how a caller may pass the bot's own token: it must reach Slack.
    return {k: v if k == "token" else redactor.redact(v) for k, v in payload.items()}
