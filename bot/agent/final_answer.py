"""What a caller needs the model's last answer to be, and the turns that ask for it again.

A reply cut off at the output limit is never taken as an answer: the model is asked once to
answer again, shorter. A final answer the caller cannot use (a triage answer without a
readable verdict) gets one repair turn that says what was wrong. The nudges are user
messages, so the conversation stays valid for chat templates that allow a system message
only at the start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

LENGTH_NUDGE = (
    "Your last answer was cut off at the output limit of {limit} tokens, so it cannot be "
    "used. Answer again, much shorter: only the final answer, in the format asked for."
)
REPAIR_NUDGE = (
    "Your last answer could not be used: {problem}. Answer again with only the final answer, "
    "in exactly the format asked for, and nothing else."
)


def _no_problem(text: str) -> str | None:
    return None


@dataclass(frozen=True)
class FinalAnswer:
    """response_format: asked for on every turn (the engine drops it where unsupported).
    problem: why a final text cannot be used, or None."""

    response_format: dict[str, Any] | None = None
    problem: Callable[[str], str | None] = field(default=_no_problem)


NUDGE_PREFIX = "Your last answer "


def is_nudge(message: dict[str, Any]) -> bool:
    """Whether message is socbot asking the model to answer again."""
    content = message.get("content")
    return message.get("role") == "user" and str(content or "").startswith(NUDGE_PREFIX)


def nudge(content: str | None, text: str) -> list[dict[str, Any]]:
    """The model's unusable answer, then what socbot asks of it instead."""
    return [
        {"role": "assistant", "content": content or ""},
        {"role": "user", "content": text},
    ]
