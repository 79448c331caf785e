"""Write a compacted alert as text: one line per fact, then the event as an indented tree.

    facts:
    actor: ana@example.org
    action: AttachRolePolicy
    target: bo@example.org
    target: g-admins
    event:
    userIdentity:
     type: IAMUser
     sessionContext.sessionIssuer:
      arn: arn:aws:iam::111122223333:role/Admin
    resources:
     - arn: arn:aws:s3:::logs
       type: AWS::S3::Bucket

A shared path prefix is written once, as the header of its indented children (one space a
level: in tokens a first level costs nothing, two spaces would), instead of on every line; a
container with a single child joins it with a dot; list items start with "- ". Each target
has its own line, so each reads as a subject of its own (the offline engine reads `target:`
lines). Values never hold a line break (see render_value), and a key that could pass for
indenting, an item mark, the end of a key, two joined keys or a section line is quoted, so
neither a value nor a key can pose as another line, level, path or section.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from bot.alerts.compact.facts import Fact
from bot.alerts.compact.facts_rules import GEO_KEYS
from bot.alerts.compact.filler import is_part_of
from bot.alerts.compact.flatten import Leaf, Scalar, Value, render_path, render_value
from bot.alerts.compact.prune import normalize_key

KEYED_FACTS = frozenset({"mfa", "risk"})  # their key names carry meaning: "factor=push"
TARGET_LABEL = "target"  # one line per target, so each reads as its own subject
MIN_PART_CHARS = 6  # a shorter value found inside another is likely a coincidence
# Facts whose values name things by path, where a value inside another (a project inside
# its key's path, a name at the end of its ARN) says nothing more. Not scopes or roles:
# "read:users" is not part of "read:users:self".
PATH_FACTS = frozenset({"resources"})
INDENT = " "  # one space a level; an item's lines sit under the text after its mark
ITEM_MARK = "- "
EMPTY_TEXT = "(the alert holds no values)"
FACTS_SECTION, EVENT_SECTION = "facts", "event"
SECTION_LINES = frozenset({FACTS_SECTION, EVENT_SECTION})


def render_alert(facts: Sequence[Fact], leaves: Sequence[Leaf], body: Sequence[Leaf]) -> str:
    said = [line for fact in facts for line in fact_lines(fact, leaves)]
    lines = [f"{FACTS_SECTION}:", *said] if said else []
    if body:
        lines.append(f"{EVENT_SECTION}:")
        lines.extend(tree_lines(body))
    return "\n".join(lines) or EMPTY_TEXT


def with_note(value: Value, note: str) -> str:
    text = render_value(value)
    return f"{text} {note}" if text and note else text or note


# --- the event tree ---------------------------------------------------------------------


@dataclass
class _Node:
    texts: list[str] = field(default_factory=list)  # the values at exactly this path
    children: dict[str | int, _Node] = field(default_factory=dict)


def tree_lines(body: Sequence[Leaf]) -> list[str]:
    """The leaves as an indented tree, each container in the order its first leaf came."""
    root = _Node()
    for leaf in body:
        node = root
        for step in leaf.path:
            node = node.children.setdefault(step, _Node())
        node.texts.append(with_note(leaf.value, leaf.note))
    return list(_children_lines(root, ""))


def _children_lines(node: _Node, indent: str) -> Iterator[str]:
    for step, child in node.children.items():
        if isinstance(step, int):
            yield from _item_lines(child, indent)
        else:
            yield from _keyed_lines(_key_text(step), child, indent)


def _keyed_lines(label: str, node: _Node, indent: str) -> Iterator[str]:
    """`label: value`, or a header over its children; a lone keyed child joins the label."""
    while not node.texts and len(node.children) == 1:
        ((step, only),) = node.children.items()
        if isinstance(step, int):
            break
        label, node = f"{label}.{_key_text(step)}", only
    if not indent and label in SECTION_LINES:
        label = _quoted(label)  # a field named "event" must not pass for the section line
    value = "; ".join(node.texts)
    yield f"{indent}{label}:{' ' + value if value else ''}"
    yield from _children_lines(node, indent + INDENT)


def _item_lines(node: _Node, indent: str) -> Iterator[str]:
    """One list item: its first line after the mark, the rest aligned under that line. A
    scalar item that could pass for a keyed one (`- a: b`) is quoted."""
    inner = indent + " " * len(ITEM_MARK)
    texts = [_quoted(text) if _looks_keyed(text) else text for text in node.texts]
    lines = [*(inner + text for text in texts), *_children_lines(node, inner)]
    for number, line in enumerate(lines):
        yield (indent + ITEM_MARK if number == 0 else inner) + line[len(inner) :]


def _key_text(step: str) -> str:
    """The key on one line; quoted, JSON-style, if it could pass for indenting, an item mark,
    the end of a key (`a: b`) or two keys joined (`a.b`)."""
    text = render_path((step,))
    if not text or text[0].isspace() or text[0] in '-"' or ": " in text or "." in text:
        return _quoted(step)
    return text


def _looks_keyed(text: str) -> bool:
    return ": " in text or text.endswith(":") or text.startswith('"')


def _quoted(text: str) -> str:
    return render_path((json.dumps(text, ensure_ascii=False),))


# --- the facts ----------------------------------------------------------------------------


def fact_lines(fact: Fact, leaves: Sequence[Leaf]) -> list[str]:
    """One line per fact, or one per target: a list fact keeps every value and every cut
    note of its leaves, but not a resource named again inside a longer one (a project in its
    key's path)."""
    if fact.scalar or fact.name == "geo":
        note = leaves[fact.items[0].leaf].note if fact.scalar else ""
        return [f"{fact.name}: {with_note(fact_value(fact), note)}"]
    if fact.name in KEYED_FACTS:
        return [f"{fact.name}: {'; '.join(_keyed_parts(fact, leaves))}"]
    parts = _value_parts(fact, leaves)
    if fact.name == "targets":
        return [f"{TARGET_LABEL}: {with_note(values, note)}" for values, note in parts]
    return [f"{fact.name}: {'; '.join(with_note(values, note) for values, note in parts)}"]


def _keyed_parts(fact: Fact, leaves: Sequence[Leaf]) -> list[str]:
    return [
        f"{render_path((item.key,))}={with_note(item.value, leaves[item.leaf].note)}"
        for item in fact.items
    ]


def _value_parts(fact: Fact, leaves: Sequence[Leaf]) -> list[tuple[Value, str]]:
    """(values, note) per leaf: its values not already said, a target one by one."""
    said = [render_value(value) for item in fact.items for value in spread(item.value)]
    shown: list[Scalar] = []
    parts: list[tuple[Value, str]] = []
    for item in fact.items:
        note = leaves[item.leaf].note
        values = [value for value in spread(item.value) if value not in shown]
        shown.extend(values)
        if fact.name in PATH_FACTS:
            values = [value for value in values if not _inside_another(render_value(value), said)]
        if fact.name == "targets" and values:
            parts.extend((value, "") for value in values[:-1])
            parts.append((values[-1], note))
        elif values or note:
            parts.append((tuple(values), note))
    return parts


def _inside_another(text: str, said: list[str]) -> bool:
    return len(text) >= MIN_PART_CHARS and any(is_part_of(text, other, "/:") for other in said)


def fact_value(fact: Fact) -> Value:
    if fact.name != "geo":
        return fact.items[0].value
    order = {key: rank for rank, key in enumerate(GEO_KEYS)}
    ranked = sorted(fact.items, key=lambda item: order[normalize_key(item.key)])
    return ", ".join(render_value(item.value) for item in ranked)


def spread(value: Value) -> tuple[Scalar, ...]:
    return value if isinstance(value, tuple) else (value,)
