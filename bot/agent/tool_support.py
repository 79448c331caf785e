"""Signs that a model server cannot call tools at all, so its answers never investigate.

Some servers (a chat template without tool support, a proxy that drops the field) accept
a request with tools and answer as if none were offered: the model writes its tool calls
as text, or the server's own prompt count is smaller than the tool schemas alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.agent.json_text import json_objects
from bot.agent.model import ModelReply

# Markers chat templates use for tool calls; seen as text, the server did not parse them.
_TEXT_CALL_MARKERS = re.compile(
    r"<tool_call>|<\|python_tag\|>|\[TOOL_CALLS\]|<function=|<\|tool_calls?_begin\|>|"
    r"<start_function_call>|<\|start\|>assistant<\|channel\|>commentary to=",
    re.IGNORECASE,
)
# The server's prompt count is read as "the messages without the tools" only when it holds
# at least this share of the messages (a count that leaves out a cached prefix is smaller,
# and says nothing about tools) and less than this share of the tool schemas on top.
_MESSAGES_SHARE = 0.8
_TOOLS_SHARE = 0.5


def tools_unsupported(
    reply: ModelReply, specs: Sequence[dict[str, Any]], tools_tokens: int, messages_tokens: int
) -> str | None:
    """Why this reply shows the server never passes tools to the model, or None."""
    if not specs or reply.tool_calls:
        return None
    names = {str((spec.get("function") or {}).get("name")) for spec in specs}
    content = reply.content or ""
    written = _written_call(content, names)
    if written:
        return f"the model wrote a tool call as text ({written}) instead of making it"
    reported = reply.usage.prompt_tokens
    whole_messages = tools_tokens > 0 and reported >= messages_tokens * _MESSAGES_SHARE
    if whole_messages and reported < messages_tokens + tools_tokens * _TOOLS_SHARE:
        return (
            f"the server counted {reported} prompt tokens, about the messages alone "
            f"({messages_tokens}) without the tool schemas (about {tools_tokens}): "
            "it drops the tools before the model sees them"
        )
    return None


def _written_call(content: str, names: set[str]) -> str | None:
    marker = _TEXT_CALL_MARKERS.search(content)
    if marker:
        return repr(marker.group(0))
    for value in json_objects(content):
        function = value.get("function")
        name = value.get("name") or (function.get("name") if isinstance(function, dict) else None)
        if name in names and ({"arguments", "parameters", "function"} & set(value)):
            return repr(name)
    return None
