"""Shared pieces of the vendor normalizer tests: the hand-written fixtures under
tests/fixtures/alerts/<source>/, and a check that odd input only ever ends in AlertRejected."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import ModuleType
from typing import Any

from hypothesis import strategies as st

from bot.alerts.model import Alert, AlertRejected

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alerts"

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def fixture(source: str, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / source / f"{name}.json").read_text("utf-8"))
    return loaded


def fixture_names(source: str) -> list[str]:
    return sorted(path.stem for path in (FIXTURES / source).glob("*.json"))


def every_vendor_fixture() -> list[tuple[str, str]]:
    """(folder, name) for every per-source fixture, this suite's and the other normalizers'."""
    return sorted((path.parent.name, path.stem) for path in FIXTURES.glob("*/*.json"))


def leaf_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key/index path in value, containers included, for replacing one part of an event."""
    found: list[tuple[Any, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += leaf_paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += leaf_paths(inner, (*prefix, index))
    return found


def replaced(event: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(event)
    holder: Any = changed
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = value
    return changed


def without(event: dict[str, Any], *paths: str) -> dict[str, Any]:
    """A copy of event with the dotted paths removed."""
    changed = copy.deepcopy(event)
    for path in paths:
        *parents, last = path.split(".")
        holder = changed
        for step in parents:
            holder = holder[step]
        del holder[last]
    return changed


def normalize_or_reject(module: ModuleType, event: Any) -> Alert | None:
    """Alert, or None when the normalizer rejected it; any other exception fails the test."""
    try:
        alert: Alert = module.normalize(event)
    except AlertRejected as rejected:
        assert rejected.source == module.NAME
        assert rejected.reason
        return None
    return alert
