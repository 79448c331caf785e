"""Dedupe keeps different events apart: the vendor's event id, the outcome and the source
address are part of the fingerprint, and a replay of one event still folds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.alerts.intake.dedupe import fingerprint
from bot.alerts.intake.normalize import normalize_event
from bot.alerts.intake.pipeline import Intake
from tests.detection.events import okta

MakeRuntime = Any


def sign_in(**changes: Any) -> dict[str, Any]:
    event = okta("user.session.start", result=changes.pop("result", "SUCCESS"))
    event["uuid"] = changes.pop("uuid", "evt-1")
    event["client"] = {"ipAddress": changes.pop("ip", "198.51.100.7")}
    return event


@pytest.mark.parametrize(
    "other",
    [sign_in(uuid="evt-2"), sign_in(result="FAILURE"), sign_in(ip="203.0.113.9")],
    ids=["event id", "outcome", "source ip"],
)
def test_events_that_differ_get_different_fingerprints(other: dict[str, Any]) -> None:
    assert fingerprint(normalize_event(sign_in())) != fingerprint(normalize_event(other))


def test_a_replay_has_the_same_fingerprint() -> None:
    assert fingerprint(normalize_event(sign_in())) == fingerprint(normalize_event(sign_in()))


def test_without_an_event_id_the_rest_still_decides() -> None:
    first, second = sign_in(), sign_in()
    del first["uuid"], second["uuid"]
    assert fingerprint(normalize_event(first)) == fingerprint(normalize_event(second))


def test_intake_folds_a_replay_and_keeps_another_event_apart(make_runtime: MakeRuntime) -> None:
    intake = Intake(make_runtime(seed=False, dedupe_window_seconds=600))
    first = intake.accept(json.dumps(sign_in()), source="okta")
    replay = intake.accept(json.dumps(sign_in()), source="okta")
    other = intake.accept(json.dumps(sign_in(uuid="evt-2", result="FAILURE")), source="okta")
    assert first.status == "accepted"
    assert replay.status == "duplicate" and replay.duplicate_of == first.alert_id
    assert other.status == "accepted" and other.alert_id != first.alert_id
