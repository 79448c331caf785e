"""POST /alerts/{source} over real HTTP: signed alerts are stored before the 202; everything
refused gets its 4xx with the payload kept as a rejected alert; a database failure is a 503."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

import bot.demo_alerts
from bot.alerts.intake.pipeline import IntakeUnavailable
from bot.alerts.intake.signature import sign, signed_headers
from bot.alerts.intake.webhook import AlertWebhook, alert_routes
from bot.runtime import Runtime
from tests.alerts.intake_helpers import MakeRuntime, acme, acme_event, body, rows, scalar
from tests.alerts.webhook_helpers import SECRETS, Reply, post, served

__all__ = ["acme"]
pytestmark = pytest.mark.usefixtures("acme")
MFA_FATIGUE = (Path(bot.demo_alerts.__file__).parent / "01-okta-mfa-push-fatigue.json").read_bytes()
CAP = 4_096


class Site:
    def __init__(self, runtime: Runtime, address: str, woken: list[int]) -> None:
        self.runtime = runtime
        self.address = address
        self.woken = woken

    def send(self, source: str, payload: bytes, headers: dict[str, str] | None = None) -> Reply:
        if headers is None:
            headers = signed_headers(SECRETS.get(source, "none"), payload)
        return post(self.address, f"/alerts/{source}", payload, headers)

    def rejected(self, rejected_id: str) -> Any:
        found = rows(
            self.runtime.engine, "SELECT * FROM rejected_alert WHERE id = :i", i=rejected_id
        )
        assert len(found) == 1
        return found[0]


@pytest.fixture
def site(make_runtime: MakeRuntime) -> Iterator[Site]:
    runtime = make_runtime(seed=False, alert_secrets=SECRETS, alert_max_bytes=CAP)
    woken: list[int] = []
    app = Starlette(routes=alert_routes(runtime, on_accepted=lambda: woken.append(1)))
    with served(app) as address:
        yield Site(runtime, address, woken)


def test_a_signed_alert_is_stored_before_the_202(site: Site) -> None:
    reply = site.send("okta", MFA_FATIGUE)
    assert reply.status == 202 and reply.body["status"] == "accepted"
    stored = rows(site.runtime.engine, "SELECT id, group_id, via FROM alert")
    assert [tuple(r) for r in stored] == [
        (reply.body["alert_id"], reply.body["group_id"], "webhook")
    ]
    assert site.woken == [1]
    again = site.send("okta", MFA_FATIGUE)  # the same event again: a replay (409)
    assert (again.status, again.body["error"]) == (409, "replay")
    assert site.woken == [1]  # a replay wakes no worker


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "X-Socbot-Timestamp header is missing"),
        ({"X-Socbot-Timestamp": "1"}, "X-Socbot-Signature header is missing"),
        ({"X-Socbot-Timestamp": "soon", "X-Socbot-Signature": "sha256=00"}, "Unix seconds"),
        ("stale", "more than 300 s from the server's clock"),
        ("other-secret", "does not match the body"),
        ("other-body", "does not match the body"),
    ],
)
def test_a_bad_signature_is_a_401_and_the_payload_is_kept(
    site: Site, headers: dict[str, str] | str, reason: str
) -> None:
    payload = body(acme_event())
    if headers == "stale":
        headers = signed_headers(SECRETS["acme"], payload, now=time.time() - 301)
    elif headers == "other-secret":
        headers = signed_headers("not-the-secret", payload)
    elif headers == "other-body":
        headers = signed_headers(SECRETS["acme"], payload + b" ")
    assert isinstance(headers, dict)
    reply = site.send("acme", payload, headers)
    assert reply.status == 401
    assert reply.body["error"] == "unauthorized" and reason in reply.body["reason"]
    kept = site.rejected(reply.body["rejected_id"])
    assert (kept.payload, kept.source, kept.via) == (payload.decode(), "acme", "webhook")
    assert scalar(site.runtime.engine, "SELECT count(*) FROM alert") == 0


def test_an_unknown_source_or_one_without_a_secret_is_a_404(site: Site) -> None:
    for source, reason in (("nosuch", "unknown source 'nosuch'"), ("github", "no webhook secret")):
        reply = site.send(source, b'{"any": "thing"}', {})
        assert reply.status == 404 and reason in reply.body["reason"]
        assert site.rejected(reply.body["rejected_id"]).payload == '{"any": "thing"}'


def test_a_body_over_the_cap_is_a_413_and_its_start_is_kept(site: Site) -> None:
    payload = body(acme_event(note="x" * 3 * CAP))
    reply = site.send("acme", payload)
    assert reply.status == 413 and reply.body["error"] == "too_large"
    kept = site.rejected(reply.body["rejected_id"])
    assert kept.payload == payload[:CAP].decode() and kept.truncated
    assert kept.size == len(payload)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{oops", "not valid JSON"),
        (b'"just a string"', "one JSON object, not a string"),
        (body({"acme_event": ["x"], "at": "2026-11-22T10:00:00Z"}), "acme: acme_event is missing"),
    ],
)
def test_signed_but_unusable_is_a_422_with_the_reason(
    site: Site, payload: bytes, reason: str
) -> None:
    reply = site.send("acme", payload)
    assert reply.status == 422 and reply.body["error"] == "invalid"
    assert reason in reply.body["reason"]
    assert site.rejected(reply.body["rejected_id"]).payload == payload.decode()


def test_only_post_is_served(site: Site) -> None:
    import http.client

    connection = http.client.HTTPConnection(site.address, timeout=5)
    connection.request("GET", "/alerts/acme")
    assert connection.getresponse().status == 405
    connection.close()


def test_a_database_that_cannot_store_is_a_503_to_retry(
    make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime(seed=False, alert_secrets=SECRETS)
    routes = alert_routes(runtime)
    webhook = routes[0].endpoint.__self__  # type: ignore[attr-defined]
    assert isinstance(webhook, AlertWebhook)

    def unavailable(_items: Any, **_options: Any) -> Any:
        raise IntakeUnavailable("the alert could not be stored: database is locked")

    monkeypatch.setattr(webhook.batcher, "_store", unavailable)
    with served(Starlette(routes=routes)) as address:
        payload = body(acme_event())
        reply = post(address, "/alerts/acme", payload, signed_headers(SECRETS["acme"], payload))
    assert reply.status == 503 and reply.headers["retry-after"] == "5"
    assert "database is locked" in reply.body["reason"]


def test_concurrent_senders_are_each_answered_after_their_own_commit(site: Site) -> None:
    from concurrent.futures import ThreadPoolExecutor

    payloads = [body(acme_event(f"user{n}@example.org")) for n in range(60)]
    with ThreadPoolExecutor(12) as pool:
        replies = list(pool.map(lambda p: site.send("acme", p), payloads))
    assert {r.status for r in replies} == {202}
    ids = {r.body["alert_id"] for r in replies}
    stored = {row.id for row in rows(site.runtime.engine, "SELECT id FROM alert")}
    assert ids == stored and len(ids) == 60


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"k", b"1764000000.{}", hashlib.sha256).hexdigest()
    assert sign("k", "1764000000", b"{}") == f"sha256={expected}"
    assert json.loads(json.dumps(signed_headers("k", b"{}", now=1764000000.5))) == {
        "X-Socbot-Timestamp": "1764000000",
        "X-Socbot-Signature": f"sha256={expected}",
    }
