"""The serve process end to end: an alert POSTed to the webhook wakes the triage workers,
whose result is posted to the alerts channel; once the service is closed they take no more."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bot.demo_alerts
from bot.alerts.intake.signature import signed_headers
from tests.support.slack import ALERTS_CHANNEL, HttpResult, ServedSlack, http_request
from tests.support.slack_standin import SlackStandIn

DEMO = Path(bot.demo_alerts.__file__).parent
MFA_ALERT: dict[str, Any] = json.loads((DEMO / "01-okta-mfa-push-fatigue.json").read_text())
SECRET = "okta-webhook-secret"


def send_alert(served: ServedSlack, alert: dict[str, Any]) -> HttpResult:
    body = json.dumps(alert).encode()
    headers = {"Content-Type": "application/json", **signed_headers(SECRET, body)}
    return http_request("POST", served.url + "/alerts/okta", body, headers)


def top_level_posts(standin: SlackStandIn) -> list[dict[str, Any]]:
    return [m for m in standin.messages(ALERTS_CHANNEL) if "thread_ts" not in m]


def test_an_alert_sent_to_the_webhook_is_triaged_and_posted(
    slack_app: Callable[..., ServedSlack], slack_standin: SlackStandIn
) -> None:
    served = slack_app(
        triage=True, slack_alerts_channel=ALERTS_CHANNEL, alert_secrets={"okta": SECRET}
    )
    response = send_alert(served, MFA_ALERT)
    assert response.status == 202, response.body
    assert response.json()["status"] == "accepted"
    slack_standin.wait_for("chat.postMessage", timeout=30)
    assert len(top_level_posts(slack_standin)) == 1

    served.service.close(timeout=30)
    other = copy.deepcopy(MFA_ALERT)
    other["uuid"], other["actor"]["alternateId"] = "after-close", "someone.else@lab.example"
    later = send_alert(served, other)
    assert (later.status, later.json()["status"]) == (202, "accepted")  # still taken in…
    time.sleep(3)  # longer than the workers' poll
    assert len(top_level_posts(slack_standin)) == 1  # …but no worker triages it any more
