"""The event lines under the facts: the leaves no fact took, minus what they would repeat.

A leaf goes when its value is already shown: a fact's value or a part of one (the account
id inside the actor's ARN), the same value under the same field name elsewhere, or again in
the same container or list item. A time within a second of the event's goes too; other
times are said relative to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.alerts.compact_flatten import Leaf, Path, render_value
from bot.alerts.compact_prune import normalize_key
from bot.alerts.compact_time import SAME_MOMENT, parse_time, relative_to

MIN_REPEAT_CHARS = 5  # shorter values repeat by chance (true, 200, "User") and cost little
MIN_PART_CHARS = 6  # a shorter value found inside a fact is likely a coincidence
TIME_KEY_WORDS = ("time", "date")


@dataclass
class _Shown:
    """Values already on the page, in the ways a later leaf could repeat them."""

    facts: list[str]
    keyed: set[tuple[str, str]] = field(default_factory=set)
    placed: set[tuple[Path, str]] = field(default_factory=set)

    def repeats(self, leaf: Leaf, text: str) -> bool:
        if len(text) < MIN_REPEAT_CHARS:
            return False
        if text.lower() in self.facts or (normalize_key(leaf.key), text) in self.keyed:
            return True
        if (leaf.path[:-1], text) in self.placed:
            return True
        if leaf.list_context and (leaf.list_context, text) in self.placed:
            return True
        lowered = text.lower()
        return len(text) >= MIN_PART_CHARS and any(lowered in fact for fact in self.facts)

    def add(self, leaf: Leaf, text: str) -> None:
        self.keyed.add((normalize_key(leaf.key), text))
        self.placed.add((leaf.path[:-1], text))
        if leaf.list_context:
            self.placed.add((leaf.list_context, text))


def body_leaves(
    leaves: Sequence[Leaf], consumed: set[int], event_time: datetime | None
) -> tuple[list[Leaf], list[Path]]:
    """(leaves for the event lines, paths dropped as repeats), in the leaves' order."""
    shown = _Shown(facts=[render_value(leaves[index].value).lower() for index in consumed])
    body: list[Leaf] = []
    repeats: list[Path] = []
    for index, leaf in enumerate(leaves):
        if index in consumed:
            continue
        timed = _timed(leaf, event_time)
        if timed is None:
            repeats.append(leaf.path)
            continue
        text = render_value(timed.value)
        if not timed.note and shown.repeats(timed, text):
            repeats.append(leaf.path)
            continue
        shown.add(timed, text)
        body.append(timed)
    return body, repeats


def _timed(leaf: Leaf, event_time: datetime | None) -> Leaf | None:
    """The leaf with a time said relative to the event's; None if it is the event's time."""
    if event_time is None or leaf.note:
        return leaf
    key = normalize_key(leaf.key)
    numbers = any(word in key for word in TIME_KEY_WORDS) or key.endswith("edat")
    moment = parse_time(leaf.value, numbers=numbers)
    if moment is None:
        return leaf
    if abs(moment - event_time) < SAME_MOMENT:
        return None
    return Leaf(leaf.path, relative_to(moment, event_time))
