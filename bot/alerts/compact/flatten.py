"""Flatten a pruned alert tree into leaves: one (path, value) per fact-sized piece.

A list of scalars stays one leaf. A map holding exactly an old and a new value (a property
change) becomes the new tree with each difference marked, so a changed policy reads as what
it is now plus what moved, instead of two near-identical copies.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bot.alerts.compact.prune import Omitted, Path, normalize_key

Scalar = str | int | float | bool
Value = Scalar | tuple[Scalar, ...]
CHANGE_KEYS = (("oldvalue", "newvalue"), ("old", "new"), ("oldvalues", "newvalues"))


@dataclass(frozen=True)
class Leaf:
    path: Path
    value: Value
    note: str = ""

    @property
    def key(self) -> str:
        """The last named step of the path: the field's own name."""
        return next((step for step in reversed(self.path) if isinstance(step, str)), "")

    @property
    def ancestors(self) -> tuple[str, ...]:
        """Normalized names of the maps above this leaf, outermost first."""
        named = [normalize_key(step) for step in self.path if isinstance(step, str)]
        return tuple(named[:-1])

    @property
    def depth(self) -> int:
        return len(self.path) - 1

    @property
    def list_context(self) -> Path:
        """The path down to the innermost list item holding this leaf; () outside lists."""
        indexes = [place for place, step in enumerate(self.path) if isinstance(step, int)]
        return self.path[: indexes[-1] + 1] if indexes else ()


def flatten(value: Any, path: Path = ()) -> list[Leaf]:
    return list(_leaves(value, path))


def _leaves(value: Any, path: Path) -> Iterator[Leaf]:
    if isinstance(value, Mapping):
        change = _change_pair(value)
        if change is not None:
            yield from _change_leaves(change[0], change[1], path)
            return
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        yield from _list_leaves(value, path)
    elif isinstance(value, (str, int, float, bool)):
        yield Leaf(path, value)


def _list_leaves(items: list[Any], path: Path) -> Iterator[Leaf]:
    omitted = next((item.count for item in items if isinstance(item, Omitted)), 0)
    shown = [item for item in items if not isinstance(item, Omitted)]
    more = f"…(+{omitted} more)" if omitted else ""
    if all(isinstance(item, (str, int, float, bool)) for item in shown):
        yield Leaf(path, tuple(shown), more)
        return
    for index, item in enumerate(shown):
        yield from _leaves(item, (*path, index))
    if more:
        yield Leaf(path, "", more)


def _change_pair(value: Mapping[str, Any]) -> tuple[Any, Any] | None:
    keys = {normalize_key(key): key for key in value}
    for old_name, new_name in CHANGE_KEYS:
        if set(keys) == {old_name, new_name}:
            return value[keys[old_name]], value[keys[new_name]]
    return None


def _change_leaves(old: Any, new: Any, path: Path) -> Iterator[Leaf]:
    """The new leaves, each marked if it differs from the old, then the leaves removed."""
    before = {leaf.path: leaf.value for leaf in flatten(old, path)}
    after = flatten(new, path)
    for leaf in after:
        previous = before.pop(leaf.path, None)
        if previous is None:
            yield Leaf(leaf.path, leaf.value, "(added)")
        elif previous != leaf.value:
            yield Leaf(leaf.path, leaf.value, f"(was {render_value(previous)})")
        else:
            yield leaf
    for removed_path, removed_value in before.items():
        yield Leaf(removed_path, removed_value, "(removed)")


def render_value(value: Value) -> str:
    """One line of text: no raw line breaks, so a value can never pose as another line."""
    if isinstance(value, tuple):
        return ", ".join(render_value(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return _one_line(str(value))


def render_path(path: Path) -> str:
    return ".".join(_one_line(str(step)) for step in path)


def _one_line(text: str) -> str:
    return text.translate(_CONTROL_ESCAPES)


# Every character some reader takes for a line break, or that hides text, is spelled out.
_BREAKING = [*range(32), 0x7F, 0x85, 0x2028, 0x2029]
_CONTROL_ESCAPES = {code: f"\\u{code:04x}" for code in _BREAKING} | {
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
}
