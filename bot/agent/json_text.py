"""JSON objects written inside a model's text, found without trusting their shape.

A model's answer may hold prose with braces, several JSON blocks, or an object nested
thousands deep. Decoding stops at the first error of any kind (a nesting too deep for the
decoder included), objects nested deeper than MAX_DEPTH are skipped, and only the tail of
a very long answer is searched: the verdict the prompts ask for comes last.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32
MAX_SEARCHED_CHARS = 20_000


def json_objects(text: str) -> list[dict[str, Any]]:
    """Every top-level JSON object in text, in order, each at most MAX_DEPTH deep."""
    text = text[-MAX_SEARCHED_CHARS:]
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    start = text.find("{")
    while start != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):  # RecursionError: nested beyond the decoder
            end = start + 1
        else:
            if isinstance(value, dict) and depth(value) <= MAX_DEPTH:
                found.append(value)
        start = text.find("{", end)
    return found


def depth(value: Any) -> int:
    """How deeply containers nest in value (a scalar is 0), counted without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
        else:
            deepest = max(deepest, level)
            continue
        deepest = max(deepest, level + 1)
    return deepest
