"""Read a field of an alert by path: `alert.<name>` for the normalized fields, anything else
as a dotted path into the vendor's raw event.

Lists fan out (a path through a list reaches every element), a key that itself holds dots is
found whole, a key re-spelled in another letter case is still found, and a string holding
JSON is decoded when the path goes on into it: SIEM exports often carry nested objects as
JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from bot.alerts.model import Alert

ALERT_PREFIX = "alert."
MAX_JSON_TEXT = 100_000  # longer text is not decoded: the value is then just text


def alert_view(alert: Alert) -> dict[str, Any]:
    """The normalized fields as plain data, as `alert.<name>` paths read them."""
    data = alert.model_dump(mode="json", exclude={"raw"})
    for role in ("actor", "target"):
        identity = alert.actor if role == "actor" else alert.target
        if identity is not None and not identity.is_empty():
            data[role]["label"] = identity.label
    return data


def values_at(alert_data: Mapping[str, Any], raw: Any, path: str) -> list[Any]:
    """Every value at path (none when the path leads nowhere)."""
    if path.startswith(ALERT_PREFIX):
        return list(_walk(alert_data, path.removeprefix(ALERT_PREFIX)))
    return list(_walk(raw, path))


def _walk(node: Any, path: str) -> Iterator[Any]:
    if path == "":
        if isinstance(node, list):
            yield from node
        else:
            yield node
        return
    node = _decoded(node)
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, path)
        return
    if not isinstance(node, Mapping):
        return
    for key, rest in _splits(path):
        if key in node:
            yield from _walk(node[key], rest)
            return
    # Some pipelines re-spell keys in lower case (eventname, requestparameters …).
    folded = {str(name).lower(): value for name, value in node.items()}
    for key, rest in _splits(path):
        if key.lower() in folded:
            yield from _walk(folded[key.lower()], rest)
            return


def _splits(path: str) -> Iterator[tuple[str, str]]:
    """(key, rest) pairs, the longest key first, so `a.b.c` finds a key spelled "a.b"."""
    dots = [i for i, char in enumerate(path) if char == "."]
    yield path, ""
    for index in reversed(dots):
        yield path[:index], path[index + 1 :]


def _decoded(node: Any) -> Any:
    if isinstance(node, str) and len(node) <= MAX_JSON_TEXT:
        text = node.strip()
        if text[:1] in ("{", "["):
            try:
                return json.loads(text)
            except (json.JSONDecodeError, RecursionError):
                return node
    return node
