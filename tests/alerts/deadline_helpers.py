"""The webhook and /healthz served together over real HTTP, for the database deadline tests."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

import bot.demo_alerts
from bot.alerts.intake.signature import signed_headers
from bot.runtime import Runtime
from bot.slack.server import create_http_app
from tests.alerts.webhook_helpers import SECRETS, Reply, post, served

MFA_FATIGUE = (Path(bot.demo_alerts.__file__).parent / "01-okta-mfa-push-fatigue.json").read_bytes()
DEADLINE = 1.0
PROMPT = DEADLINE + 1.5  # an answer within this came from the deadline, not a lock let go


@dataclass
class Site:
    runtime: Runtime
    address: str

    def send_alert(self) -> tuple[Reply, float]:
        """The okta alert, signed; the reply and how long it took."""
        started = time.monotonic()
        reply = post(
            self.address, "/alerts/okta", MFA_FATIGUE, signed_headers(SECRETS["okta"], MFA_FATIGUE)
        )
        return reply, time.monotonic() - started

    def health(self) -> tuple[int, dict[str, object], float]:
        started = time.monotonic()
        connection = http.client.HTTPConnection(self.address, timeout=40)
        try:
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            body = json.loads(response.read())
        finally:
            connection.close()
        return response.status, body, time.monotonic() - started

    def stored_alerts(self) -> int:
        with self.runtime.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM alert")).scalar_one())


@contextmanager
def served_site(runtime: Runtime) -> Iterator[Site]:
    _ = runtime.policies.current  # loaded (and put on record) at start-up, as serve() does
    with served(create_http_app(runtime, None)) as address:
        yield Site(runtime, address)


def assert_refused_in_time(reply: Reply, took: float) -> None:
    assert reply.status == 503, reply.body
    assert reply.body["error"] == "unavailable"
    assert "did not answer in time" in str(reply.body["reason"])
    assert reply.headers["retry-after"].isdigit()
    assert took < PROMPT, f"the webhook waited {took:.1f} s on a held lock"
