"""Dedupe folds a replay of one event, not a different later event about the same people:
the fingerprint includes the vendor's event id, the outcome and the source IP."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import bot.demo_alerts
from bot.alerts.intake.pipeline import Intake
from bot.runtime import Runtime

MakeRuntime = Callable[..., Runtime]
MFA: dict[str, Any] = json.loads(
    (Path(bot.demo_alerts.__file__).parent / "01-okta-mfa-push-fatigue.json").read_text()
)


def changed(**edits: Any) -> dict[str, Any]:
    event = copy.deepcopy(MFA)
    if "uuid" in edits:
        event["uuid"] = edits["uuid"]
    if "result" in edits:
        event["outcome"]["result"] = edits["result"]
    if "ip" in edits:
        event["client"]["ipAddress"] = edits["ip"]
    return event


@pytest.mark.parametrize(
    "later",
    [
        {"uuid": "a-later-event"},
        {"result": "SUCCESS"},
        {"ip": "203.0.113.77"},
    ],
    ids=["vendor-event-id", "outcome", "source-ip"],
)
def test_a_different_event_about_the_same_people_is_not_a_duplicate(
    make_runtime: MakeRuntime, later: dict[str, str]
) -> None:
    intake = Intake(make_runtime(seed=False))
    first = intake.accept(json.dumps(MFA), via="cli")
    second = intake.accept(json.dumps(changed(**later)), via="cli")
    assert (first.status, second.status) == ("accepted", "accepted")
    assert first.fingerprint != second.fingerprint


def test_an_identical_replay_still_folds(make_runtime: MakeRuntime) -> None:
    intake = Intake(make_runtime(seed=False))
    first = intake.accept(json.dumps(MFA), via="cli")
    again = intake.accept(json.dumps(MFA), via="cli")
    assert (again.status, again.duplicate_of) == ("duplicate", first.alert_id)
