"""What the vendor normalizer tests share: their fixtures (tests/fixtures/alerts/<source>/),
other vendors' events to prove detection does not over-reach, a re-spelling of keys as log
pipelines store them, and ways to change one part of an event. Arbitrary input is the job of
test_normalize_properties.py, for every source at once."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.alerts.model import Alert
from bot.errors import AlertRejected

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alerts"
FLAT = {
    "aws_cloudtrail": "cloudtrail_",
    "aws_guardduty": "guardduty_",
    "gcp": "gcp_",
    "github": "github_",
}


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


def without(event: dict[str, Any], *paths: str) -> dict[str, Any]:
    """A deep copy of event with each dotted path removed."""
    changed = copy.deepcopy(event)
    for path in paths:
        *parents, last = path.split(".")
        del _holder(changed, parents)[last]
    return changed


def replaced(event: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of event with the value at the dotted path replaced."""
    changed = copy.deepcopy(event)
    *parents, last = path.split(".")
    _holder(changed, parents)[last] = value
    return changed


def _holder(event: Any, steps: list[Any]) -> Any:
    for step in steps:
        event = event[step]
    return event


def rejection(normalize: Callable[[Any], Alert], event: Any) -> AlertRejected:
    with pytest.raises(AlertRejected) as caught:
        normalize(event)
    return caught.value
