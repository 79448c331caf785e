"""The token budget of one model turn, counted here rather than taken from the server.

A server's reported usage is not trusted: one that reports 0 would let a task send ten
times its limit. socbot counts what it sends (messages and tool schemas) and what comes back
with its own tokenizer, and charges the larger of that and what the server reports.
"""

from __future__ import annotations

from typing import Any

from bot.agent.model import ChatModel, ModelReply
from bot.agent.model_profile import profile_for
from bot.agent.tokens import TokenCounter

DEFAULT_OUTPUT_RESERVE = 1_000


def context_window(model: ChatModel) -> int:
    """The engine's context window: its own figure, else the known default for its family."""
    window = getattr(model, "context_window", None)
    if isinstance(window, int) and window > 0:
        return window
    return profile_for(model.model).context_window


def output_reserve(model: ChatModel) -> int:
    """Tokens kept free for the reply: the engine's output cap where it has one."""
    cap = getattr(model, "max_output_tokens", None)
    return cap if isinstance(cap, int) and cap > 0 else DEFAULT_OUTPUT_RESERVE


def sends_requests(model: ChatModel) -> bool:
    """False for an engine that runs in process (the offline rules): no schemas go anywhere."""
    return bool(getattr(model, "sends_requests", True))


def history_budget(tokens_left: int, window: int, reserve: int, tools_cost: int) -> int:
    """Room for the messages of the next request: within the task's tokens and the model's
    window, after the reply's reserve and the tool schemas (sent with every request)."""
    return max(min(tokens_left, window) - reserve - tools_cost, 1)


def reply_tokens(counter: TokenCounter, reply: ModelReply) -> int:
    said = [reply.content or "", reply.refusal or ""]
    said += [call.name + call.arguments for call in reply.tool_calls]
    return sum(counter.count(text) for text in said if text)


def charged_tokens(counter: TokenCounter, sent: int, reply: ModelReply) -> int:
    """What a turn costs: the local count of request and reply, or the server's figure if
    that is larger."""
    return max(sent + reply_tokens(counter, reply), reply.usage.total_tokens)


def request_tokens(counter: TokenCounter, messages: list[dict[str, Any]], tools_cost: int) -> int:
    return counter.count_messages(messages) + tools_cost
