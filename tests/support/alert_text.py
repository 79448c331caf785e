"""Read compact alert text back, as a reader would: the fact lines, and the event tree as
dotted paths (list items numbered from 0 as shown) to values. Strict: a line that does not
fit the layout raises, so tests built on it fail on a malformed or forged line."""

from __future__ import annotations

import json

SECTIONS = ("facts:", "event:")
Path = tuple[str, ...]


def sections(text: str) -> tuple[list[str], list[str]]:
    """(fact lines, event lines); each section line at most once, facts first."""
    lines = text.split("\n")
    assert all(lines.count(line) <= 1 for line in SECTIONS), "a section line appears twice"
    event_at = lines.index("event:") if "event:" in lines else len(lines)
    facts = lines[1:event_at] if lines[0] == "facts:" else []
    assert "facts:" not in lines[1:], "facts: must open the text"
    return facts, lines[event_at + 1 :]


def fact_pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for line in sections(text)[0]:
        label, separator, value = line.partition(": ")
        assert separator and label.isidentifier(), f"not a fact line: {line!r}"
        pairs.append((label, value))
    return pairs


def event_paths(text: str) -> dict[str, str]:
    """{"userIdentity.sessionContext.attributes.creationDate": "4m31s before event", …}"""
    paths: dict[Path, str] = {}
    opened: set[Path] = set()
    stack: list[tuple[int, Path]] = []  # (indent, path) of the containers open above
    counters: dict[Path, int] = {}
    for line in sections(text)[1]:
        indent = len(line) - len(line.lstrip(" "))
        rest = line[indent:]
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1] if stack else ()
        item_line = rest.startswith("- ")
        while rest.startswith("- "):  # an item, perhaps of a list inside a list item
            number = counters.get(parent, 0)
            counters[parent] = number + 1
            parent = (*parent, str(number))
            stack.append((indent + 1, parent))
            indent, rest = indent + 2, rest[2:]
        scalar = _scalar_item(rest) if item_line else None
        if scalar is not None:
            paths[parent] = scalar
            continue
        steps, value = _key_and_value(rest)
        path = (*parent, *steps)
        assert path not in opened, f"{path} said twice"
        opened.add(path)
        if value is not None:
            paths[path] = value
        stack.append((indent, path))
    return {".".join(path): value for path, value in paths.items()}


def _scalar_item(rest: str) -> str | None:
    """The value of a list item that holds a value, not keys; a quoted one is decoded."""
    if rest.startswith('"'):
        text, end = json.JSONDecoder().raw_decode(rest)
        return str(text) if end == len(rest) else None
    return None if ": " in rest or rest.endswith(":") else rest


def _key_and_value(rest: str) -> tuple[Path, str | None]:
    """A label (keys joined by dots, any of them quoted) and the value after ": "."""
    steps: list[str] = []
    more = True
    while more:
        if rest.startswith('"'):
            key, end = json.JSONDecoder().raw_decode(rest)
            steps.append(str(key))
            rest = rest[end:]
            more = rest.startswith(".")
        else:
            ends = (_find(rest, ": "), _find(rest, '."'), len(rest) - rest.endswith(":"))
            steps.append(rest[: min(ends)])
            rest = rest[min(ends) :]
            more = rest.startswith('."')
        rest = rest[1:] if more else rest
    assert rest.startswith(":"), f"not a key line: {rest!r}"
    value = rest[1:]
    assert value == "" or value.startswith(" "), f"no space after the key: {rest!r}"
    return tuple(steps), (value[1:] if value else None)


def _find(text: str, part: str) -> int:
    at = text.find(part)
    return at if at >= 0 else len(text)
