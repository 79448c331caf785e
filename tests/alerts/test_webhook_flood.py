"""The webhook under flood and replay, over real HTTP: refusals are limited per source and
client, kept payloads stay within a quota, and a signed delivery is taken only once."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

import bot.demo_alerts
from bot.alerts.intake.signature import signed_headers
from bot.alerts.intake.webhook import alert_routes
from bot.alerts.intake.webhook_guard import QUOTA_HEAD_BYTES
from bot.runtime import Runtime
from tests.alerts.intake_helpers import MakeRuntime, rows, scalar
from tests.alerts.webhook_helpers import SECRETS, Reply, post, served

MFA: dict[str, Any] = json.loads(
    (Path(bot.demo_alerts.__file__).parent / "01-okta-mfa-push-fatigue.json").read_text()
)
CAP = 64_000


class Site:
    def __init__(self, runtime: Runtime, address: str) -> None:
        self.runtime, self.address = runtime, address

    def send(self, payload: bytes, headers: dict[str, str] | None = None) -> Reply:
        if headers is None:
            headers = signed_headers(SECRETS["okta"], payload)
        return post(self.address, "/alerts/okta", payload, headers)


@pytest.fixture
def site(make_runtime: MakeRuntime) -> Iterator[Callable[..., Site]]:
    stack: list[Any] = []

    def start(**settings: Any) -> Site:
        runtime = make_runtime(seed=False, alert_secrets=SECRETS, alert_max_bytes=CAP, **settings)
        context = served(Starlette(routes=alert_routes(runtime)))
        address = context.__enter__()
        stack.append(context)
        return Site(runtime, address)

    yield start
    for context in stack:
        context.__exit__(None, None, None)


def event(uuid: str) -> bytes:
    changed = copy.deepcopy(MFA)
    changed["uuid"] = uuid
    return json.dumps(changed).encode()


def test_unsigned_floods_are_cut_off_per_client_with_nothing_more_kept(
    site: Callable[..., Site],
) -> None:
    s = site(alert_refusals_per_minute=5)
    replies = [s.send(b'{"junk": %d}' % n, {"X-Socbot-Timestamp": "1"}) for n in range(12)]

    assert [r.status for r in replies] == [401] * 5 + [429] * 7
    assert replies[-1].headers["retry-after"] == "60"
    assert replies[-1].body["error"] == "rate_limited"
    assert scalar(s.runtime.engine, "SELECT count(*) FROM rejected_alert") == 5
    refused = "SELECT count(*) FROM audit_event WHERE kind = 'alert.rejected'"
    assert scalar(s.runtime.engine, refused) == 5
    # A signed alert from the same client still gets through: only refusals are limited.
    assert s.send(event("after-the-flood")).status == 202


def test_rejected_payloads_past_the_hourly_quota_keep_only_their_head(
    site: Callable[..., Site],
) -> None:
    s = site(alert_rejected_quota_bytes=30_000)
    big = b'{"pad": "' + b"x" * 20_000 + b'"}'
    first, second = (s.send(big, {"X-Socbot-Timestamp": "1"}) for _ in range(2))

    assert (first.status, second.status) == (401, 401)
    kept = rows(s.runtime.engine, "SELECT id, payload, truncated, reason FROM rejected_alert")
    by_id = {row.id: row for row in kept}
    assert by_id[first.body["rejected_id"]].payload == big.decode()
    cut = by_id[second.body["rejected_id"]]
    assert len(cut.payload) == QUOTA_HEAD_BYTES and cut.truncated
    assert "quota" in cut.reason and "quota" in second.body["reason"]


def test_a_replayed_signed_request_is_refused(site: Callable[..., Site]) -> None:
    s = site()
    payload = event("evt-replay-1")
    headers = signed_headers(SECRETS["okta"], payload)

    first = s.send(payload, headers)
    again = s.send(payload, headers)

    assert first.status == 202
    assert (again.status, again.body["error"]) == (409, "replay")
    assert scalar(s.runtime.engine, "SELECT count(*) FROM alert") == 1


def test_the_same_vendor_event_resigned_later_is_refused_but_a_new_event_is_not(
    site: Callable[..., Site],
) -> None:
    s = site()
    payload = event("evt-replay-2")
    assert s.send(payload, signed_headers(SECRETS["okta"], payload)).status == 202
    later = signed_headers(SECRETS["okta"], payload, now=time.time() + 1)
    resigned = s.send(payload, later)
    other = s.send(event("evt-other-3"))

    assert (resigned.status, resigned.body["error"]) == (409, "replay")
    assert "vendor event id" in resigned.body["reason"]
    assert other.status == 202
