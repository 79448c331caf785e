"""A ChatModel wrapper: the model is sent only redacted text and socbot keeps only redacted
replies, whichever engine runs (OpenAI, offline, or a scripted model in tests)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.agent import model_call
from bot.agent.model import CallOptions, ChatModel, ModelReply, ToolCallRequest
from bot.errors import ModelError
from bot.redaction import Redactor, default_redactor


class RedactingModel:
    """Redacts messages on the way in, and content, tool-call arguments and errors on the way
    out. Tool-call arguments stay JSON: a redaction marker holds no quote or backslash."""

    def __init__(self, inner: ChatModel, redactor: Redactor | None = None) -> None:
        self.inner = inner
        self.engine = inner.engine
        self.model = inner.model
        self._redactor = redactor if redactor is not None else default_redactor()

    def __getattr__(self, name: str) -> Any:
        # What the loop asks of an engine beyond complete (context_window, sends_requests …)
        # is the wrapped engine's.
        return getattr(self.inner, name)

    def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        options: CallOptions | None = None,
    ) -> ModelReply:
        redact = self._redactor.redact_text
        sent = self._redactor.redact(messages)
        try:
            reply = model_call.complete(self.inner, sent, tools, options or CallOptions())
        except ModelError as exc:
            # The server's error text may quote the request; it is shown and stored.
            raise ModelError(redact(str(exc))) from None
        calls = [
            ToolCallRequest(c.id, redact(c.name), redact(c.arguments)) for c in reply.tool_calls
        ]
        content = None if reply.content is None else redact(reply.content)
        refusal = None if reply.refusal is None else redact(reply.refusal)
        return replace(reply, content=content, tool_calls=calls, refusal=refusal)


def redacting(model: ChatModel, redactor: Redactor | None = None) -> ChatModel:
    """model behind a RedactingModel, once."""
    return model if isinstance(model, RedactingModel) else RedactingModel(model, redactor)
