"""The Slack Web API client socbot uses: one WebClient per process. Within a call it retries
a dropped connection, and a rate limit whose Retry-After is short, a bounded number of times;
a longer wait is not slept through on a worker thread: the method backs off and the caller
schedules the retry (bot.slack.paced_client)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.config import Settings
from bot.errors import ConfigError
from bot.observability.metrics import observe_slack_error
from bot.slack.blockkit import fit_message
from bot.slack.paced_client import PacedWebClient
from bot.slack.redacting import redact_calls

RATE_LIMIT_RETRIES = 3  # each waits the Retry-After Slack sends
LONGEST_RATE_LIMIT_WAIT = 1  # seconds; a longer Retry-After fails the call (and backs off)
CONNECTION_RETRIES = 2
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
TIMEOUT_SECONDS = 30


def bot_token(settings: Settings) -> str:
    """The bot token, or a ConfigError that says where to find one."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    if not token:
        raise ConfigError(
            "SLACK_BOT_TOKEN is not set: install the app from slack-manifest.yaml, then copy "
            "the Bot User OAuth Token (xoxb-…) from OAuth & Permissions into SLACK_BOT_TOKEN"
        )
    return token


class BoundedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """Retries a 429 after its Retry-After, unless Slack asks for a wait a worker should not
    sit through."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        return retry_after_seconds(response) <= LONGEST_RATE_LIMIT_WAIT


def retry_after_seconds(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return float(values[0])
            except ValueError:
                break
    return 1.0


def retry_handlers() -> list[RetryHandler]:
    return [
        BoundedRateLimitRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
    ]


class FittingWebClient(PacedWebClient):
    """A WebClient that fits every message's blocks to Slack's limits before sending, so one
    oversized part can never make Slack refuse the whole message, and backs off each method
    Slack is failing (PacedWebClient)."""

    def api_call(self, api_method: str, **kwargs: Any) -> Any:
        body = kwargs.get("json")
        if api_method in MESSAGE_METHODS and isinstance(body, dict) and body.get("blocks"):
            blocks = body["blocks"]
            if isinstance(blocks, list) and all(isinstance(b, dict) for b in blocks):
                fitted = fit_message(blocks, str(body.get("text") or ""))
                kwargs["json"] = {**body, "blocks": fitted.blocks, "text": fitted.text}
        try:
            return super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            observe_slack_error(api_method, exc.response.get("error") if exc.response else None)
            raise
        except OSError:
            observe_slack_error(api_method, "connection")
            raise


def make_web_client(settings: Settings) -> WebClient:
    return redact_calls(
        FittingWebClient(
            token=bot_token(settings),
            base_url=settings.slack_api_url,
            timeout=TIMEOUT_SECONDS,
            retry_handlers=retry_handlers(),
        )
    )
