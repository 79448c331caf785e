"""What the vendor normalizer tests share: their fixtures (tests/fixtures/alerts/<source>/),
other vendors' events to prove detection does not over-reach, a re-spelling of keys as log
pipelines store them, ways to change one part of an event, and JSON strategies with checks for
"only AlertRejected, whatever comes in"."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import strategies as st

from bot.alerts.model import Alert, AlertRejected

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alerts"
FLAT = {
    "aws_cloudtrail": "cloudtrail_",
    "aws_guardduty": "guardduty_",
    "gcp": "gcp_",
    "github": "github_",
}

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=24)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=16), inner, max_size=5)
    ),
    max_leaves=25,
)
SMALL_JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
SMALL_JSON_VALUES = st.recursive(
    SMALL_JSON_SCALARS,
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


def events_of(source: str) -> Callable[[str], dict[str, Any]]:
    """event(name) for one source's fixture folder: each test module's own reader."""

    def event(name: str) -> dict[str, Any]:
        return fixture(source, name)

    return event


def every_vendor_fixture() -> list[tuple[str, str]]:
    """(folder, name) for every per-source fixture, this suite's and the other normalizers'."""
    return sorted((path.parent.name, path.stem) for path in FIXTURES.glob("*/*.json"))


def other_vendor_events(source: str) -> list[Any]:
    """Every fixture event of every other vendor: the flat files ({"event": …}, named after
    their vendor) and the per-source folders (one raw event per file)."""
    flat = [path for path in FIXTURES.glob("*.json") if not path.stem.startswith(FLAT[source])]
    events = [json.loads(path.read_text("utf-8"))["event"] for path in flat]
    for folder in sorted(FIXTURES.iterdir()):
        if folder.is_dir() and folder.name != source:
            events += [json.loads(path.read_text("utf-8")) for path in folder.glob("*.json")]
    return events


def lowercase_keys(value: Any) -> Any:
    """value with every key lower-cased and "@x" spelled "at_sign_x", as some pipelines store."""
    if isinstance(value, dict):
        return {_respell(key): lowercase_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [lowercase_keys(item) for item in value]
    return value


def _respell(key: str) -> str:
    return "at_sign_" + key[1:].lower() if key.startswith("@") else key.lower()


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


def without(event: dict[str, Any], *paths: str) -> dict[str, Any]:
    """A deep copy of event with each dotted path removed."""
    changed = copy.deepcopy(event)
    for path in paths:
        *parents, last = path.split(".")
        del _holder(changed, parents)[last]
    return changed


def replaced(event: dict[str, Any], path: str | tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A deep copy of event with the value at path (dotted, or a leaf_paths tuple) replaced."""
    changed = copy.deepcopy(event)
    *parents, last = path.split(".") if isinstance(path, str) else path
    _holder(changed, parents)[last] = value
    return changed


def _holder(event: Any, steps: list[Any]) -> Any:
    for step in steps:
        event = event[step]
    return event


def assert_alert_or_rejection(normalize: Callable[[Any], Alert], event: Any) -> None:
    """normalize(event) returns an Alert or raises AlertRejected: never anything else."""
    try:
        alert = normalize(event)
    except AlertRejected as exc:
        assert exc.reason
        return
    assert alert.event_type and alert.title
    assert alert.occurred_at.utcoffset() is not None


def normalize_or_reject(module: ModuleType, event: Any) -> Alert | None:
    """Alert, or None when the normalizer rejected it; any other exception fails the test."""
    try:
        alert: Alert = module.normalize(event)
    except AlertRejected as rejected:
        assert rejected.source == module.NAME
        assert rejected.reason
        return None
    return alert


def rejection(normalize: Callable[[Any], Alert], event: Any) -> AlertRejected:
    with pytest.raises(AlertRejected) as caught:
        normalize(event)
    return caught.value
