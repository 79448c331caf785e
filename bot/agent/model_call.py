"""Calling an engine with per-turn options, whether or not the engine takes them.

Engines written before CallOptions existed (and small ones in tests) take only messages and
tools; they are called that way, and the loop still bounds them by the task's time limit
after the fact.
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from typing import Any

from bot.agent.model import CallOptions, ChatModel, ModelReply


def complete(
    model: ChatModel,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    options: CallOptions,
) -> ModelReply:
    if _takes_options(type(model)):
        complete_with_options: Any = model.complete
        reply: ModelReply = complete_with_options(messages, tools, options)
        return reply
    return model.complete(messages, tools)


@lru_cache(maxsize=64)
def _takes_options(model_type: type) -> bool:
    method = getattr(model_type, "complete", None)
    if method is None:
        return False
    try:
        parameters = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False
    return "options" in parameters
