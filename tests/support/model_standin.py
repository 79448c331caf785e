"""A stricter OpenAI stand-in: it enforces what real model servers enforce.

- `refuses`: parameters it answers 400 for, as OpenAI does for reasoning models
  ("Unsupported value: 'temperature' ...") or as a server without structured outputs does
  for response_format. The refused request uses up no scripted reply.
- The output cap: a reply longer than the request's max_tokens / max_completion_tokens is cut
  at that many tokens and finishes with "length", as every server does.
- `requires_cap`: a request without any output cap is refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from bot.agent.tokens import TokenCounter
from tests.support.fakes import (
    FakeOpenAIServer,
    RecordedRequest,
    ScriptedError,
    ScriptItem,
    _error_exchange,
    _Exchange,
)

UNSUPPORTED_TEMPERATURE = (
    "Unsupported value: 'temperature' does not support 0 with this model. "
    "Only the default (1) value is supported."
)
UNSUPPORTED_MAX_TOKENS = (
    "Unsupported parameter: 'max_tokens' is not supported with this model. "
    "Use 'max_completion_tokens' instead."
)
UNSUPPORTED_RESPONSE_FORMAT = "response_format of type json_schema is not supported"
CAP_PARAMETERS = ("max_tokens", "max_completion_tokens")


class StrictOpenAIServer(FakeOpenAIServer):
    def __init__(
        self,
        script: Iterable[ScriptItem] = (),
        model: str = "gpt-fake",
        *,
        refuses: Mapping[str, str] | None = None,
        requires_cap: bool = False,
    ) -> None:
        super().__init__(script, model)
        self.refuses = dict(refuses or {})
        self.requires_cap = requires_cap
        self._tokens = TokenCounter()

    def handle(self, request: RecordedRequest) -> _Exchange:
        refusal = self._refusal(request)
        if refusal is not None:
            with self._lock:
                self.requests.append(request)
            return _error_exchange(refusal)
        exchange = super().handle(request)
        return self._capped(exchange, request) if exchange.status == 200 else exchange

    def _refusal(self, request: RecordedRequest) -> ScriptedError | None:
        body = request.body if isinstance(request.body, dict) else {}
        for name, message in self.refuses.items():
            if name in body:
                return _bad_request(message, name)
        if self.requires_cap and not any(name in body for name in CAP_PARAMETERS):
            return _bad_request("a request must set max_tokens", "max_tokens")
        return None

    def _capped(self, exchange: _Exchange, request: RecordedRequest) -> _Exchange:
        body = request.body if isinstance(request.body, dict) else {}
        cap = next((body[name] for name in CAP_PARAMETERS if name in body), None)
        completion = json.loads(exchange.body)
        choice = completion["choices"][0]
        content = choice["message"].get("content")
        if cap is None or not content:
            return exchange
        tokens = self._tokens.encoding.encode(content, disallowed_special=())
        if len(tokens) <= int(cap):
            return exchange
        choice["message"]["content"] = self._tokens.encoding.decode(tokens[: int(cap)])
        choice["finish_reason"] = "length"
        completion["usage"]["completion_tokens"] = int(cap)
        return _Exchange(200, json.dumps(completion).encode(), exchange.headers)


def _bad_request(message: str, param: str) -> ScriptedError:
    return ScriptedError(400, message, "invalid_request_error", f"unsupported_{param}")


def request_body(server: FakeOpenAIServer, index: int = -1) -> dict[str, Any]:
    body = server.requests[index].body
    assert isinstance(body, dict)
    return body


class AzureOpenAIServer(StrictOpenAIServer):
    """Azure OpenAI's data plane: /openai/deployments/<name>/chat/completions?api-version=…,
    authorized by an `api-key` header or an Entra `Authorization: Bearer` token, with the
    error bodies Azure sends. Tokens in `expired` are refused as Azure refuses stale ones."""

    def __init__(
        self,
        *,
        deployment: str,
        api_versions: Iterable[str] = ("2024-10-21",),
        api_keys: Iterable[str] = (),
        tokens: Iterable[str] = (),
        model: str = "gpt-4o-mini",
        refuses: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(model=model, refuses=refuses, requires_cap=True)
        self.deployment = deployment
        self.api_versions = set(api_versions)
        self.api_keys = set(api_keys)
        self.tokens = set(tokens)
        self.expired: set[str] = set()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def handle(self, request: RecordedRequest) -> _Exchange:
        refusal = self._azure_refusal(request)
        if refusal is not None:
            with self._lock:
                self.requests.append(request)
            return _azure_error(*refusal)
        rewritten = _as_openai_path(request)
        exchange = super().handle(rewritten)
        with self._lock:  # tests read the request as the client sent it
            self.requests[self.requests.index(rewritten)] = request
        return exchange

    def _azure_refusal(self, request: RecordedRequest) -> tuple[int, str, str] | None:
        path, _, query = request.path.partition("?")
        params = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
        if params.get("api-version") not in self.api_versions:
            return 404, "404", "Resource not found"
        if self._credential(request.headers) is None:
            return (
                401,
                "401",
                (
                    "Access denied due to invalid subscription key or wrong API endpoint. "
                    "Make sure to provide a valid key for an active subscription and use a "
                    "correct regional API endpoint for your resource."
                ),
            )
        if path != f"/openai/deployments/{self.deployment}/chat/completions":
            return (
                404,
                "DeploymentNotFound",
                ("The API deployment for this resource does not exist."),
            )
        return None

    def _credential(self, headers: Mapping[str, str]) -> str | None:
        key = headers.get("api-key")
        if key is not None:
            return key if key in self.api_keys else None
        scheme, _, token = (headers.get("authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and token in self.tokens - self.expired:
            return token
        return None


def _as_openai_path(request: RecordedRequest) -> RecordedRequest:
    return RecordedRequest(
        request.method, "/v1/chat/completions", request.headers, request.raw_body, request.body
    )


def _azure_error(status: int, code: str, message: str) -> _Exchange:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return _Exchange(status, body, {"content-type": "application/json"})
