"""A ChatModel wrapper: the model is sent only redacted text and socbot keeps only redacted
replies, whichever engine runs (OpenAI, offline, or a scripted model in tests)."""

from __future__ import annotations

from typing import Any

from bot.agent.model import ChatModel, ModelReply, ToolCallRequest
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

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> ModelReply:
        redact = self._redactor.redact_text
        try:
            reply = self.inner.complete(self._redactor.redact(messages), tools)
        except ModelError as exc:
            # The server's error text may quote the request; it is shown and stored.
            raise ModelError(redact(str(exc))) from None
        calls = [
            ToolCallRequest(c.id, redact(c.name), redact(c.arguments)) for c in reply.tool_calls
        ]
        return ModelReply(
            content=None if reply.content is None else redact(reply.content),
            tool_calls=calls,
            usage=reply.usage,
            model=reply.model,
            finish_reason=reply.finish_reason,
        )


def redacting(model: ChatModel, redactor: Redactor | None = None) -> ChatModel:
    """model behind a RedactingModel, once."""
    return model if isinstance(model, RedactingModel) else RedactingModel(model, redactor)
