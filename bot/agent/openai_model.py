"""The OpenAI engine: chat completions with tools, through the official client.

The client retries 408/409/429/5xx and connection failures itself, with backoff that honours
the server's retry-after headers (max_retries). What still fails becomes a ModelError whose
message says what to check. The API key never appears in a log line or an error.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import openai

from bot.agent.model import CallOptions, ModelReply, ToolCallRequest, Usage
from bot.agent.model_profile import profile_for
from bot.agent.openai_request import DROPPABLE, RequestShape
from bot.errors import ConfigError, ModelError

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"


class OpenAIChatModel:
    """ChatModel backed by an OpenAI-compatible chat-completions endpoint."""

    def __init__(
        self,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout: float = 60,
        max_retries: int = 3,
        temperature: float | None = 0,
        *,
        top_p: float | None = None,
        max_tokens: int = 2_048,
        context_window: int | None = None,
        client: openai.OpenAI | None = None,
        engine: str | None = None,
        family: str | None = None,
        key_setting: str = "OPENAI_API_KEY",
    ) -> None:
        if not api_key and client is None:
            raise ConfigError("OPENAI_API_KEY is empty: set it, or run the offline engine")
        self.model = model
        self.engine = engine or f"openai:{model}"
        self.timeout = timeout
        self.max_retries = max_retries
        self.temperature = temperature
        self.key_setting = key_setting
        # An Azure deployment's name says nothing of its model: `family` does.
        self.profile = profile_for(family or model, context_window)
        self.context_window = self.profile.context_window
        self.max_output_tokens = max_tokens
        self.shape = RequestShape(
            self.profile, max_tokens, {"temperature": temperature, "top_p": top_p}
        )
        self._api_key = api_key
        self._client = client or openai.OpenAI(
            api_key=api_key,
            base_url=(base_url or DEFAULT_BASE_URL).rstrip("/"),
            timeout=timeout,
            max_retries=max_retries,
        )
        self.base_url = str(self._client.base_url).rstrip("/")

    def __repr__(self) -> str:
        return f"OpenAIChatModel(model={self.model!r}, base_url={self.base_url!r})"

    def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        options: CallOptions | None = None,
    ) -> ModelReply:
        options = options or CallOptions()
        timeout, retries = self._bounds(options.timeout)
        client = self._client.with_options(timeout=timeout, max_retries=retries)
        # Each refused optional parameter costs one more request, then is never sent again.
        for _ in range(len(DROPPABLE) + 2):
            request = self.shape.body(self.model, messages, tools, options.response_format)
            try:
                completion = client.chat.completions.create(**request)
            except openai.BadRequestError as err:
                if self.shape.learn(request, _param_of(err), _detail_of(err)) is None:
                    raise ModelError(self._scrub(self._explain(err, timeout))) from None
                continue
            except openai.OpenAIError as err:
                raise ModelError(self._scrub(self._explain(err, timeout))) from None
            except ValueError as err:  # the client lets a body that is not JSON through as this
                raise ModelError(
                    f"the model server at {self.base_url} sent a body that is not JSON ({err}): "
                    "check that OPENAI_BASE_URL points at an OpenAI-compatible /v1 endpoint"
                ) from None
            reply = self._reply_from(completion)
            log.debug(
                "model %s replied: %d tool calls, %d+%d tokens, finish %s",
                reply.model,
                len(reply.tool_calls),
                reply.usage.prompt_tokens,
                reply.usage.completion_tokens,
                reply.finish_reason,
            )
            return reply
        raise ModelError(f"the model server at {self.base_url} kept refusing the request")

    def _bounds(self, time_left: float | None) -> tuple[float, int]:
        """This call's timeout and retries: the setting, unless the task has less time left.
        With less time left than one attempt may take, there is no time for a retry."""
        if time_left is None or time_left >= self.timeout:
            return self.timeout, self.max_retries
        return max(time_left, 0.001), 0

    def _reply_from(self, completion: Any) -> ModelReply:
        choices = getattr(completion, "choices", None)
        if not isinstance(choices, list) or not choices:
            raise ModelError(
                f"the model server at {self.base_url} sent a reply that is not a chat "
                "completion (no choices): check that OPENAI_BASE_URL points at an "
                "OpenAI-compatible /v1 endpoint"
            )
        choice = choices[0]
        message = getattr(choice, "message", None)
        if message is None:
            raise ModelError(f"the model server at {self.base_url} sent a choice without a message")
        return ModelReply(
            content=getattr(message, "content", None),
            tool_calls=self._tool_calls_from(getattr(message, "tool_calls", None) or []),
            usage=_usage_from(getattr(completion, "usage", None)),
            model=str(getattr(completion, "model", None) or self.model),
            finish_reason=getattr(choice, "finish_reason", None),
            refusal=getattr(message, "refusal", None) or None,
        )

    def _tool_calls_from(self, calls: list[Any]) -> list[ToolCallRequest]:
        requests = []
        for index, call in enumerate(calls):
            function = getattr(call, "function", None)
            name = getattr(function, "name", None)
            if not name:
                raise ModelError(
                    f"the model server at {self.base_url} sent a tool call without a function "
                    "name: only function tools are offered, so this reply cannot be used"
                )
            arguments = getattr(function, "arguments", None)
            requests.append(
                ToolCallRequest(
                    id=str(getattr(call, "id", None) or f"call_{index}"),
                    name=str(name),
                    arguments=_raw_arguments(arguments),
                )
            )
        return requests

    def _explain(self, err: openai.OpenAIError, timeout: float) -> str:
        """Turn a client error into a sentence that says what to check."""
        where = f"the model server at {self.base_url}"
        retries = f"after up to {self.max_retries} retries"
        if isinstance(err, openai.APITimeoutError):
            if timeout < self.timeout:
                return (
                    f"{where} did not answer within {timeout:.3g}s, the time the task had left: "
                    "raise the policy's task_limits.seconds or try again later"
                )
            return (
                f"{where} did not answer within {self.timeout:g}s ({retries}): "
                "raise SOCBOT_MODEL_TIMEOUT or try again later"
            )
        if isinstance(err, openai.APIConnectionError):
            return f"could not connect to {where} ({retries}): check OPENAI_BASE_URL and network"
        if isinstance(err, openai.APIResponseValidationError):
            return f"{where} sent a response that is not a chat completion: {err.message}"
        if isinstance(err, openai.APIStatusError):
            return self._explain_status(err, where, retries)
        return f"{where} sent a reply that could not be read: {err}"

    def _explain_status(self, err: openai.APIStatusError, where: str, retries: str) -> str:
        status = err.status_code
        detail = _detail_of(err) or None
        if status == 401:
            # The server's own text may echo part of the key, so it is left out.
            return f"{where} refused the credential (401): check {self.key_setting}"
        if status == 403:
            return f"{where} refused access to model {self.model!r} (403): check the key's project"
        if status == 404:
            return f"{where} does not know model {self.model!r} or the path (404): " + (
                "check SOCBOT_MODEL and OPENAI_BASE_URL"
            )
        if status == 429:
            return self._explain_rate_limit(err, where, retries)
        if status >= 500:
            return f"{where} failed with {status} {retries} ({detail}): try again later"
        return f"{where} rejected the request ({status}): {detail or err.message}"

    def _explain_rate_limit(self, err: openai.APIStatusError, where: str, retries: str) -> str:
        if err.code == "insufficient_quota":
            return f"{where} says the account's quota is used up (429): check billing"
        return (
            f"{where} is rate limiting requests (429) {retries}: "
            "try again later or raise SOCBOT_MODEL_RETRIES"
        )

    def _scrub(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text


def _error_body(err: openai.APIStatusError) -> dict[str, Any]:
    body = err.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]  # some servers keep the OpenAI envelope in the parsed body
    return body if isinstance(body, dict) else {}


def _detail_of(err: openai.APIStatusError) -> str:
    return str(_error_body(err).get("message") or err.message or "")


def _param_of(err: openai.APIStatusError) -> str | None:
    param = _error_body(err).get("param")
    return str(param) if param else None


def _raw_arguments(arguments: Any) -> str:
    # Some compatible servers send an object instead of JSON text; the executor wants text.
    if arguments is None:
        return ""
    return arguments if isinstance(arguments, str) else json.dumps(arguments)


def _usage_from(usage: Any) -> Usage:
    if usage is None:
        return Usage()
    return Usage(
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
    )
