"""The event lines under the facts: the leaves no fact took, minus what they would repeat.

A leaf goes when its value is already shown: a fact's value or a part of one (the account
id inside the actor's ARN), the same value under the same field name elsewhere, again in the
same container or list item, or inside a longer value beside it (a request path inside the
URL next to it); a name equal to another value of its container goes whatever its length. A
time within a second of the event's goes too; other times are said relative to it. Filler
goes (see compact_filler). A list item whose only remaining leaf is its part of a list fact
(a target's name) goes whole: the facts already name it, and an item with more to say keeps
the name so it still reads whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.alerts.compact.filler import (
    is_filler,
    is_opaque_id,
    is_part_of,
    is_record_marker,
    is_type_spelled_beside,
)
from bot.alerts.compact.flatten import Leaf, Path, render_value
from bot.alerts.compact.prune import READABLE_NAME_KEYS, normalize_key
from bot.alerts.compact.timestamps import SAME_MOMENT, parse_time, relative_to

MIN_REPEAT_CHARS = 5  # shorter values repeat by chance (true, 200, "User") and cost little
MIN_PART_CHARS = 6  # a shorter value found inside a fact is likely a coincidence
TIME_KEY_WORDS = ("time", "date", "usec")
# What bounds a piece of a URL, an ARN or an address; not a space: a word inside prose
# beside it ("delete" in "delete policy") is a coincidence, not a repeat.
NEIGHBOUR_SEPARATORS = "/:?#&=@,;"


@dataclass
class _Shown:
    """Values already on the page, in the ways a later leaf could repeat them."""

    facts: list[str]
    keyed: set[tuple[str, str]] = field(default_factory=set)
    placed: set[tuple[Path, str]] = field(default_factory=set)
    placed_lowered: set[tuple[Path, str]] = field(default_factory=set)

    def repeats(self, leaf: Leaf, text: str) -> bool:
        lowered = text.lower()
        if self._names_a_neighbour(leaf, lowered):
            return True
        if len(text) < MIN_REPEAT_CHARS:
            return False
        if lowered in self.facts or (normalize_key(leaf.key), text) in self.keyed:
            return True
        if (leaf.path[:-1], text) in self.placed:
            return True
        if leaf.list_context and (leaf.list_context, text) in self.placed:
            return True
        return len(text) >= MIN_PART_CHARS and any(lowered in fact for fact in self.facts)

    def _names_a_neighbour(self, leaf: Leaf, lowered: str) -> bool:
        """A name equal, in any case, to a value already shown in its container."""
        key = normalize_key(leaf.key)
        return key in READABLE_NAME_KEYS and (leaf.path[:-1], lowered) in self.placed_lowered

    def add(self, leaf: Leaf, text: str) -> None:
        self.keyed.add((normalize_key(leaf.key), text))
        self.placed.add((leaf.path[:-1], text))
        self.placed_lowered.add((leaf.path[:-1], text.lower()))
        if leaf.list_context:
            self.placed.add((leaf.list_context, text))


def body_leaves(
    leaves: Sequence[Leaf], consumed: set[int], item_facts: set[int], event_time: datetime | None
) -> tuple[list[Leaf], list[Path]]:
    """(leaves for the event lines, paths dropped as repeats or filler), in the leaves' order.

    `item_facts` are the leaves of list facts left in their list items (not consumed)."""
    said = sorted(consumed | item_facts)
    shown = _Shown([_lowered(leaves[index]) for index in said])
    for index in sorted(consumed):
        shown.placed_lowered.add((leaves[index].path[:-1], _lowered(leaves[index])))
    containers: dict[Path, list[Leaf]] = {}
    for leaf in leaves:
        containers.setdefault(leaf.path[:-1], []).append(leaf)
    kept: list[tuple[int, Leaf]] = []
    dropped: list[Path] = []
    for index, leaf in enumerate(leaves):
        if index in consumed:
            continue
        timed = _timed(leaf, event_time)
        if timed is None or _says_nothing(
            timed, containers[leaf.path[:-1]], shown, named_item=index in item_facts
        ):
            dropped.append(leaf.path)
            continue
        shown.add(timed, render_value(timed.value))
        kept.append((index, timed))
    kept = _without_parts_of_neighbours(kept, dropped)
    return _without_named_items(kept, item_facts, dropped)


def _lowered(leaf: Leaf) -> str:
    return render_value(leaf.value).lower()


def _says_nothing(leaf: Leaf, neighbours: list[Leaf], shown: _Shown, *, named_item: bool) -> bool:
    """Filler, or a repeat; a list item's part of a list fact is judged later, with its item."""
    if is_filler(leaf) or is_record_marker(leaf):
        return True
    if is_opaque_id(leaf, neighbours) or is_type_spelled_beside(leaf, neighbours):
        return True
    return not (leaf.note or named_item) and shown.repeats(leaf, render_value(leaf.value))


def _without_parts_of_neighbours(
    kept: list[tuple[int, Leaf]], dropped: list[Path]
) -> list[tuple[int, Leaf]]:
    """Drop a value found inside a longer one kept in the same container (a request path
    inside the URL beside it). The longer value stays, so nothing is lost."""
    by_container: dict[Path, list[str]] = {}
    for _, leaf in kept:
        by_container.setdefault(leaf.path[:-1], []).append(_lowered(leaf))
    result: list[tuple[int, Leaf]] = []
    for index, leaf in kept:
        text = _lowered(leaf)
        longer = (other for other in by_container[leaf.path[:-1]] if len(other) > len(text))
        if (
            not leaf.note
            and len(text) >= MIN_PART_CHARS
            and any(is_part_of(text, other, NEIGHBOUR_SEPARATORS) for other in longer)
        ):
            dropped.append(leaf.path)
        else:
            result.append((index, leaf))
    return result


def _without_named_items(
    kept: list[tuple[int, Leaf]], item_facts: set[int], dropped: list[Path]
) -> tuple[list[Leaf], list[Path]]:
    """Drop the list items left holding nothing but their part of a list fact."""
    telling = [leaf.path for index, leaf in kept if index not in item_facts]
    body: list[Leaf] = []
    for index, leaf in kept:
        item = leaf.list_context
        if index in item_facts and not any(path[: len(item)] == item for path in telling):
            dropped.append(leaf.path)
        else:
            body.append(leaf)
    return body, dropped


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
