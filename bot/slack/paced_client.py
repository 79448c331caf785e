"""A WebClient that backs off each Slack method on its own while Slack fails it.

When Slack answers a method with 429, a 5xx or a server-side error code, or the connection
fails, that method is left alone for a while: Retry-After when Slack gives one, else a
jittered exponential wait (bot.backoff). Calls of that method made meanwhile are not sent;
they raise SlackBackingOff at once, without sleeping, so a worker thread moves on to other
work and schedules the retry for `retry_at`. Other methods keep working.

SlackBackingOff (bot.errors) is a RetryLater (code that can schedule a retry does), raised
here joined with SlackApiError (code that handles Slack's refusals handles it too). An outage
is logged once when it starts and once when it ends, not once per attempt.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.slack_response import SlackResponse

from bot.backoff import Backoff
from bot.errors import SlackBackingOff

__all__ = ["PacedWebClient", "SlackBackingOff", "server_side_fault"]

log = logging.getLogger(__name__)


class SlackBackingOffError(SlackBackingOff, SlackApiError):
    """SlackBackingOff as slack_sdk's callers catch it: the tree's class lives in bot.errors,
    which imports no Slack library, so it joins SlackApiError here (docs/architecture.md)."""


# Error codes Slack sends (with HTTP 200) when the fault is on its side, not the call's.
SERVER_SIDE_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class PacedWebClient(WebClient):
    """slack_sdk's WebClient with per-method backoff (see the module docstring)."""

    def __init__(self, *args: Any, backoff: Backoff | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.backoff = backoff or Backoff(log, what="Slack")

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        wait = self.backoff.wait_left(api_method)
        if wait > 0:
            reason = f"Slack {api_method} is backing off for {wait:.1f} s more"
            raise SlackBackingOffError(
                reason, self._not_sent(api_method), self.backoff.retry_at(api_method)
            )
        try:
            response = super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            fault = server_side_fault(exc.response)
            if fault is None:
                self.backoff.succeeded(api_method)  # Slack answered; the call was wrong
                raise
            raise self._backing_off(api_method, exc.response, *fault) from exc
        except OSError as exc:  # refused, reset, timed out: no answer at all
            raise self._backing_off(
                api_method, self._not_sent(api_method), type(exc).__name__, None
            ) from exc
        self.backoff.succeeded(api_method)
        return response

    def _backing_off(
        self, api_method: str, response: SlackResponse, reason: str, retry_after: float | None
    ) -> SlackBackingOff:
        wait = self.backoff.failed(api_method, reason, retry_after)
        message = f"Slack {api_method} failed ({reason}); retry in {wait:.1f} s"
        return SlackBackingOffError(message, response, self.backoff.retry_at(api_method))

    def _not_sent(self, api_method: str) -> SlackResponse:
        return SlackResponse(
            client=self,
            http_verb="POST",
            api_url=f"{self.base_url}{api_method}",
            req_args={},
            data={"ok": False, "error": "socbot_backing_off"},
            headers={},
            status_code=0,
        )


def server_side_fault(response: SlackResponse | None) -> tuple[str, float | None] | None:
    """(reason, Retry-After seconds or None) when Slack's answer blames Slack; else None."""
    if response is None:
        return None
    status = int(response.status_code or 0)
    if status == 429:
        return "ratelimited (HTTP 429)", retry_after_header(response.headers)
    if status >= 500:
        return f"HTTP {status}", retry_after_header(response.headers)
    error = response.get("error") if isinstance(response.data, dict) else None
    if error in SERVER_SIDE_ERRORS:
        return str(error), retry_after_header(response.headers)
    return None


def retry_after_header(headers: Any) -> float | None:
    for name, value in dict(headers or {}).items():
        if str(name).lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) and value else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return None
    return None
