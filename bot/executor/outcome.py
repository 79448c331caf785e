"""What a tool call comes to, as the model reads it, and how raw model arguments are read."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from bot.agent.json_text import MAX_DEPTH, depth
from bot.canonical import canonical_json
from bot.errors import ToolArgumentError
from tools.base import Tool, ToolArgs

# Ends the error of a call that overran: the provider may already have acted.
TIMED_OUT_NOTE = "; it may or may not have taken effect"


@dataclass(frozen=True)
class ToolOutcome:
    """What came of one tool call; `content` is all the model gets to read."""

    tool: str
    status: str  # ok | recommended | awaiting_approval | denied | error
    content: dict[str, Any] = field(default_factory=dict)
    rule: str | None = None
    request_id: str | None = None

    def for_model(self) -> str:
        return canonical_json({"status": self.status, **self.content})


def parse_arguments(tool: Tool, arguments: str | Mapping[str, Any]) -> ToolArgs:
    """Raw model arguments → the tool's validated argument model, or a ToolArgumentError."""
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments or "{}")
        except json.JSONDecodeError as exc:
            raise ToolArgumentError(f"arguments are not valid JSON ({exc.msg})") from exc
        except RecursionError:  # nested beyond what the decoder can follow
            raise ToolArgumentError("arguments are nested too deeply to read") from None
        if depth(arguments) > MAX_DEPTH:
            raise ToolArgumentError(f"arguments are nested deeper than {MAX_DEPTH} levels")
    if not isinstance(arguments, Mapping):
        raise ToolArgumentError("arguments must be a JSON object")
    try:
        return tool.args_model.model_validate(dict(arguments))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}"
            for e in exc.errors()[:5]
        )
        raise ToolArgumentError(f"arguments do not fit {tool.name}: {problems}") from exc
