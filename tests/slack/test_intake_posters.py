"""The alert-intake channel over real HTTP: only configured bots and apps may post alerts, a
refused poster is audited and answered, and whoever posted an alert cannot approve what its
triage parks (the self-approval the outside attack found)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

import bot.demo_alerts
from bot.actions import approvals as ab
from bot.actions.approvals import ActionRequest
from bot.alerts.tables import AlertRecord, RejectedAlert
from bot.alerts.triage.worker import TriageWorker
from bot.db import session_scope
from bot.runtime import Runtime
from tests.slack.approval_scene import Scene, serve_scene
from tests.slack.thread_checks import INTAKE_CHANNEL, MakeApp, post_and_settle, replies_in
from tests.support.approvals import audit_rows
from tests.support.slack import message
from tests.support.slack_standin import SlackStandIn

DEMO = Path(bot.demo_alerts.__file__).parent
ALERT: dict[str, Any] = json.loads((DEMO / "01-okta-mfa-push-fatigue.json").read_text())
SIEM = "B0SIEM"
SIEM_APP = "A0SIEMAPP"


def stored(runtime: Runtime) -> tuple[list[AlertRecord], list[RejectedAlert]]:
    with session_scope(runtime.engine) as session:
        alerts = list(session.exec(select(AlertRecord)).all())
        rejected = list(session.exec(select(RejectedAlert)).all())
    return alerts, rejected


def intake_post(**sender: Any) -> dict[str, Any]:
    fields = {"user": None, **sender}
    return message(json.dumps(ALERT), channel=INTAKE_CHANNEL, **fields)


@pytest.mark.parametrize(
    "sender",
    [
        {"user": "U0MALLORY"},  # a person in the channel
        {"bot_id": "B0MALLORYBOT", "subtype": "bot_message"},  # a bot nobody configured
        {"user": "U0MALLORY", "app_id": "A0MALLORY"},  # an app nobody configured
    ],
    ids=["person", "other-bot", "other-app"],
)
def test_an_alert_from_anyone_but_a_configured_poster_is_refused_and_audited(
    slack_app: MakeApp, slack_standin: SlackStandIn, sender: dict[str, Any]
) -> None:
    served = slack_app(
        slack_alert_intake_channel=INTAKE_CHANNEL, slack_alert_intake_posters=[SIEM, SIEM_APP]
    )
    event = intake_post(**sender)

    post_and_settle(served, event, posts=1)

    assert stored(served.runtime) == ([], [])
    [reply] = replies_in(slack_standin, INTAKE_CHANNEL, event["ts"])
    assert "Not taken in" in reply["text"] and "configured" in reply["text"]
    [refused] = audit_rows(served.runtime, "slack.refused")
    assert refused["data"]["ts"] == event["ts"]
    assert set(refused["data"]["poster"]) == {v for k, v in sender.items() if k != "subtype"}


def test_with_no_posters_configured_the_channel_takes_nothing(
    slack_app: MakeApp, slack_standin: SlackStandIn
) -> None:
    served = slack_app(slack_alert_intake_channel=INTAKE_CHANNEL)
    post_and_settle(served, intake_post(bot_id=SIEM, subtype="bot_message"), posts=1)
    assert stored(served.runtime) == ([], [])


def test_a_configured_app_id_is_enough_and_the_posters_are_the_origin(
    slack_app: MakeApp,
) -> None:
    served = slack_app(
        slack_alert_intake_channel=INTAKE_CHANNEL, slack_alert_intake_posters=[SIEM_APP]
    )
    event = intake_post(bot_id="B0ANY", bot_profile={"app_id": SIEM_APP}, user="U0WORKFLOW")
    assert served.post_event(event).status == 200
    record = wait_for_alert(served.runtime)
    assert json.loads(record.origin_json or "[]") == ["A0SIEMAPP", "B0ANY", "U0WORKFLOW"]
    [received] = audit_rows(served.runtime, "alert.received")
    assert received["data"]["origin"] == ["A0SIEMAPP", "B0ANY", "U0WORKFLOW"]


def wait_for_alert(runtime: Runtime, timeout: float = 10.0) -> AlertRecord:
    deadline = time.monotonic() + timeout
    while not stored(runtime)[0]:
        assert time.monotonic() < deadline, "the alert was not taken in"
        time.sleep(0.02)
    return stored(runtime)[0][0]


@pytest.fixture
def scene(make_runtime: Callable[..., Runtime], slack_standin: SlackStandIn) -> Iterator[Scene]:
    def configured(**settings: Any) -> Runtime:
        return make_runtime(
            **settings,
            slack_alert_intake_channel=INTAKE_CHANNEL,
            slack_alert_intake_posters=[SIEM],
        )

    yield from serve_scene(configured, slack_standin)


def test_the_person_behind_a_posted_alert_cannot_approve_what_its_triage_parked(
    scene: Scene,
) -> None:
    # A workflow run by an identity admin posts the alert through the configured integration.
    event = intake_post(bot_id=SIEM, subtype="bot_message", user="U0IDADMIN2")
    assert scene.served.post_event(event).status == 200
    wait_for_alert(scene.runtime)
    done = TriageWorker(scene.runtime).run_once()
    assert done is not None and done.result is not None
    parked = [a.request_id for a in done.result.actions if a.status == "awaiting_approval"]
    assert parked, done.result.actions
    request_id = str(parked[0])
    request = scene.request(request_id)
    assert request.origin == {SIEM, "U0IDADMIN2"}
    assert ab.hash_matches(request)
    ref = scene.card(request_id)

    scene.react(ref, "U0IDADMIN2")
    scene.settle(lambda: bool(scene.refusals_of(request_id, "U0IDADMIN2")))

    [reason] = scene.refusals_of(request_id, "U0IDADMIN2")
    assert "posted the alert" in reason
    assert scene.request(request_id).status == ab.PENDING
    with session_scope(scene.runtime.engine) as session:
        assert session.get(ActionRequest, request_id) is not None
