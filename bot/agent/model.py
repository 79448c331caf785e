"""The model protocol every engine implements: OpenAI-format messages in, one reply out.

Messages and tool specs use the OpenAI chat-completions shapes (roles system, user,
assistant and tool; assistant messages may carry tool_calls; tool messages carry
tool_call_id), so the OpenAI client passes them through and other engines read the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class ToolCallRequest:
    """One tool call the model asked for.

    `arguments` is the raw JSON text exactly as the model sent it: the executor parses and
    validates it, so malformed JSON must reach it unchanged and be reported there.
    """

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class CallOptions:
    """What one turn asks beyond messages and tools; an engine ignores what it cannot use.

    timeout: seconds this call may take at most (the task's time left bounds it).
    response_format: an OpenAI response_format (a JSON schema) for a final answer.
    """

    timeout: float | None = None
    response_format: dict[str, Any] | None = None


@dataclass(frozen=True)
class ModelReply:
    content: str | None
    tool_calls: list[ToolCallRequest] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    finish_reason: str | None = None
    refusal: str | None = None  # the model declined, and said why (structured outputs)

    def assistant_message(self) -> dict[str, Any]:
        """This reply as the assistant message to append to the conversation."""
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in self.tool_calls
            ]
        return message


class ChatModel(Protocol):
    """An engine: the OpenAI client, the offline engine, or a scripted stand-in in tests."""

    engine: str  # label for people and the audit log, e.g. "openai:gpt-4o-mini" or "offline"
    model: str

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> ModelReply:
        """One model turn. Raises bot.errors.ModelError when no usable reply can be had.

        An engine may also take `options: CallOptions | None = None` as a third argument;
        bot.agent.model_call passes it to those that do.
        """
        ...
