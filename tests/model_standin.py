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
from tests.fakes import (
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
