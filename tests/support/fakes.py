"""Stand-ins for the systems socbot talks to, for tests. Each is a real component on 127.0.0.1.

Sections, one class family each, so more stand-ins can be added beside them:
- OpenAI chat completions: FakeOpenAIServer, driven by a script of replies and failures.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from bot.agent.final_answer import is_nudge
from bot.agent.model import ModelReply, ToolCallRequest, Usage
from bot.agent.tokens import TokenCounter
from tests.support.loopback import LoopbackStandIn

# ---------------------------------------------------------------------------------------------
# OpenAI chat completions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptedToolCall:
    """A tool call the fake model makes. `arguments` is sent as is: malformed JSON included."""

    name: str
    arguments: str
    id: str | None = None


@dataclass(frozen=True)
class ScriptedReply:
    """A 200 chat completion. Token counts default to a rough count of the request.

    `delay_seconds` holds the answer back, to drive client timeouts and task time limits.
    """

    content: str | None = None
    tool_calls: tuple[ScriptedToolCall, ...] = ()
    finish_reason: str | None = None
    model: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    delay_seconds: float = 0


@dataclass(frozen=True)
class ScriptedError:
    """An HTTP error with an OpenAI-style error body."""

    status: int
    message: str
    error_type: str = "api_error"
    code: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def unauthorized(cls, message: str = "Incorrect API key provided.") -> ScriptedError:
        return cls(401, message, "invalid_request_error", "invalid_api_key")

    @classmethod
    def rate_limited(cls, retry_after_ms: int = 1) -> ScriptedError:
        # retry-after-ms keeps the client's backoff short; retry-after is what servers also send.
        headers = (("retry-after-ms", str(retry_after_ms)), ("retry-after", "1"))
        return cls(
            429, "Rate limit reached for requests.", "requests", "rate_limit_exceeded", headers
        )

    @classmethod
    def server_error(cls, retry_after_ms: int = 1) -> ScriptedError:
        headers = (("retry-after-ms", str(retry_after_ms)),)
        return cls(500, "The server had an error while processing your request.", headers=headers)


@dataclass(frozen=True)
class MalformedBody:
    """A 200 answer whose body is not a chat completion."""

    body: bytes = b'{"id": "chatcmpl-broken", "choices": [ {"message": '
    content_type: str = "application/json"


ScriptItem = ScriptedReply | ScriptedError | MalformedBody


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    raw_body: bytes
    body: Any = None

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", [])) if isinstance(self.body, dict) else []

    @property
    def tools(self) -> list[dict[str, Any]]:
        return list(self.body.get("tools", [])) if isinstance(self.body, dict) else []


def rough_token_count(value: Any) -> int:
    """About four characters a token: enough for usage figures that track the request size."""
    return max(1, len(json.dumps(value, ensure_ascii=False)) // 4)


@dataclass
class _Exchange:
    """What the server answers: status, headers, body."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class FakeOpenAIServer(LoopbackStandIn):
    """POST /v1/chat/completions in the OpenAI wire format, answering from a script in order.

    Every request is recorded (body and headers). When the script runs out the server answers
    500 with x-should-retry: false, so a test that calls the model too often fails loudly.
    """

    def __init__(self, script: Iterable[ScriptItem] = (), model: str = "gpt-fake") -> None:
        super().__init__()
        self.model = model
        self.requests: list[RecordedRequest] = []
        self._script: list[ScriptItem] = list(script)
        self._lock = threading.Lock()
        self._counter = 0

    handler_attribute = "fake"

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _OpenAIHandler

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- script ---------------------------------------------------------------------------

    def add(self, *items: ScriptItem) -> None:
        with self._lock:
            self._script.extend(items)

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._script)

    # -- answering ------------------------------------------------------------------------

    def handle(self, request: RecordedRequest) -> _Exchange:
        with self._lock:
            self.requests.append(request)
            if request.method != "POST" or request.path.rstrip("/") != "/v1/chat/completions":
                return _error_exchange(ScriptedError(404, f"Unknown path {request.path}"))
            if not self._script:
                exhausted = ScriptedError(
                    500,
                    "FakeOpenAIServer: script exhausted",
                    headers=(("x-should-retry", "false"),),
                )
                return _error_exchange(exhausted)
            item = self._script.pop(0)
            self._counter += 1
            number = self._counter
        if isinstance(item, ScriptedError):
            return _error_exchange(item)
        if isinstance(item, MalformedBody):
            return _Exchange(200, item.body, {"content-type": item.content_type})
        time.sleep(item.delay_seconds)
        completion = self._completion(item, request, number)
        return _Exchange(200, json.dumps(completion).encode(), {"content-type": "application/json"})

    def _completion(self, reply: ScriptedReply, request: RecordedRequest, number: int) -> Any:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.tool_calls:
            message["tool_calls"] = [
                _tool_call_json(call, f"call_{number}_{index}")
                for index, call in enumerate(reply.tool_calls)
            ]
        prompt = reply.prompt_tokens
        if prompt is None:
            prompt = rough_token_count([request.messages, request.tools])
        completion = reply.completion_tokens
        if completion is None:
            completion = rough_token_count(message)
        finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
        return {
            "id": f"chatcmpl-fake-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": reply.model or self.model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }


def _tool_call_json(call: ScriptedToolCall, default_id: str) -> dict[str, Any]:
    return {
        "id": call.id or default_id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }


def _error_exchange(error: ScriptedError) -> _Exchange:
    body = {
        "error": {
            "message": error.message,
            "type": error.error_type,
            "param": None,
            "code": error.code,
        }
    }
    headers = {"content-type": "application/json", **dict(error.headers)}
    return _Exchange(error.status, json.dumps(body).encode(), headers)


class _OpenAIHandler(BaseHTTPRequestHandler):
    fake: FakeOpenAIServer
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self._answer(self._record("POST"))

    def do_GET(self) -> None:
        self._answer(self._record("GET"))

    def _record(self, method: str) -> _Exchange:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = None
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = RecordedRequest(method, self.path, headers, raw, body)
        return self.fake.handle(request)

    def _answer(self, exchange: _Exchange) -> None:
        try:
            self.send_response(exchange.status)
            for name, value in exchange.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(exchange.body)))
            self.end_headers()
            self.wfile.write(exchange.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test); nothing left to tell it

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet; the fake records requests instead


# ---------------------------------------------------------------------------------------------
# Scripted chat model: a bot.agent.model.ChatModel played from a script, in process
# ---------------------------------------------------------------------------------------------

ScriptedCallSpec = ScriptedToolCall | tuple[str, str]


@dataclass(frozen=True)
class ModelTurn:
    """One model turn in full. Token counts left None are counted from the request.

    `raises` is raised instead of answering (a ModelError drives the offline fallback);
    `delay_seconds` holds the answer back, to blow a task's time limit.
    """

    content: str | None = None
    calls: tuple[ScriptedCallSpec, ...] = ()
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    delay_seconds: float = 0
    raises: BaseException | None = None


# A final text, a list of tool calls (name, raw arguments), or a full ModelTurn.
PlayedTurn = str | Sequence[ScriptedCallSpec] | ModelTurn
# A turn may also be decided late, from the messages the model was given (a copy).
ScriptTurn = PlayedTurn | Callable[[list[dict[str, Any]]], PlayedTurn]


@dataclass(frozen=True)
class ModelRequest:
    """What the model was given on one turn, copied before anyone could change it."""

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]

    @property
    def tool_names(self) -> list[str]:
        return [spec["function"]["name"] for spec in self.tools]

    def texts(self, role: str) -> list[str]:
        return [str(m.get("content") or "") for m in self.messages if m.get("role") == role]


class ScriptedModel:
    """A ChatModel that plays turns in order and records every request and reply.

    When the script runs out it plays `then` again and again if given, else fails the test
    loudly with an AssertionError (not a ModelError, which triage would quietly fall back on).
    """

    engine = "scripted"
    context_window = 128_000  # a test that needs a smaller window sets its own

    def __init__(
        self,
        turns: Iterable[ScriptTurn] = (),
        *,
        then: ScriptTurn | None = None,
        counter: TokenCounter | None = None,
        model: str = "scripted-1",
    ) -> None:
        self.model = model
        self.requests: list[ModelRequest] = []
        self.replies: list[ModelReply] = []
        self._turns: list[ScriptTurn] = list(turns)
        self._then = then
        self._counter = counter

    def add(self, *turns: ScriptTurn) -> None:
        self._turns.extend(turns)

    @property
    def remaining(self) -> int:
        return len(self._turns)

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> ModelReply:
        request = ModelRequest(copy.deepcopy(messages), copy.deepcopy(tools))
        self.requests.append(request)
        turn = self._next_turn()
        played = turn(copy.deepcopy(request.messages)) if callable(turn) else turn
        spec = _as_model_turn(played)
        if spec.delay_seconds:
            time.sleep(spec.delay_seconds)
        if spec.raises is not None:
            raise spec.raises
        reply = self._reply(spec, request)
        self.replies.append(reply)
        return reply

    def transcript(self) -> str:
        """Everything the model was shown and everything it said, as one text to search."""
        shown = [[r.messages, r.tools] for r in self.requests]
        said = [[r.content, [c.__dict__ for c in r.tool_calls]] for r in self.replies]
        return json.dumps([shown, said], ensure_ascii=False)

    def _next_turn(self) -> ScriptTurn:
        if self._turns:
            return self._turns.pop(0)
        if self._then is not None:
            return self._then
        if self.requests and self.replies and is_nudge(self.requests[-1].messages[-1]):
            # Asked to answer again with no turn scripted for it: a model that cannot do
            # better says the same again, and the caller must cope.
            return ModelTurn(content=self.replies[-1].content)
        played = len(self.requests) - 1
        raise AssertionError(f"ScriptedModel: script exhausted after {played} turns")

    def _reply(self, spec: ModelTurn, request: ModelRequest) -> ModelReply:
        number = len(self.requests)
        calls = [_call_request(call, f"call_{number}_{i}") for i, call in enumerate(spec.calls)]
        said = (spec.content or "") + "".join(c.name + c.arguments for c in calls)
        prompt = spec.prompt_tokens
        if prompt is None:
            prompt = self._count_request(request)
        completion = spec.completion_tokens
        if completion is None:
            completion = self._counter.count(said) if self._counter else rough_token_count(said)
        finish = "tool_calls" if calls else "stop"
        return ModelReply(spec.content, calls, Usage(prompt, completion), self.model, finish)

    def _count_request(self, request: ModelRequest) -> int:
        if self._counter is None:
            return rough_token_count([request.messages, request.tools])
        return self._counter.count_messages(request.messages) + self._counter.count_tools(
            request.tools
        )


def _as_model_turn(played: PlayedTurn) -> ModelTurn:
    if isinstance(played, ModelTurn):
        return played
    if isinstance(played, str):
        return ModelTurn(content=played)
    return ModelTurn(calls=tuple(played))


def _call_request(call: ScriptedCallSpec, default_id: str) -> ToolCallRequest:
    if isinstance(call, ScriptedToolCall):
        return ToolCallRequest(call.id or default_id, call.name, call.arguments)
    name, arguments = call
    return ToolCallRequest(default_id, name, arguments)
