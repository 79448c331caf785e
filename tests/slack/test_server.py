"""The served Slack app over real HTTP: health, request verification, and each event acted on
once, whoever sends it and however often."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from slack_bolt import BoltRequest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.audit.event import AuditEvent
from bot.db import make_engine
from bot.runtime import Runtime
from bot.slack.event_claims import SlackEvent
from bot.slack.server import create_http_app, start_service
from tests.slack.probes import PROBE, probe_listeners
from tests.support.slack import (
    ALERTS_CHANNEL,
    BOT_USER_ID,
    OTHER_TEAM_ID,
    ServedSlack,
    app_mention,
    event_callback,
    http_request,
    serving,
    sign_request,
)
from tests.support.slack_standin import SlackStandIn

DEAD_DATABASE = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
QUIET_SECONDS = 0.5  # how long to watch for an effect that must not happen


def count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def audit_kinds(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(AuditEvent.kind).order_by(AuditEvent.seq)).scalars())


def probe_served(slack_app: Callable[..., ServedSlack], **settings: object) -> ServedSlack:
    return slack_app(registrars=[probe_listeners], **settings)


def assert_no_effect(standin: SlackStandIn) -> None:
    time.sleep(QUIET_SECONDS)
    assert [c.method for c in standin.calls()] == ["auth.test"]


def test_healthz_names_the_database_and_the_policy_in_force(
    slack_app: Callable[..., ServedSlack],
) -> None:
    served = slack_app()
    response = served.get("/healthz")
    assert response.status == 200
    assert response.json() == {
        "ok": True,
        "database": "ok",
        "audit": "append-only",
        "policy_version": served.runtime.policies.current.version,
        "outbox": {"pending_replies": 0, "oldest_pending_seconds": None},
    }


def test_healthz_is_503_naming_the_database_when_it_is_unreachable(
    make_runtime: Callable[..., Runtime],
) -> None:
    runtime = make_runtime(seed=False)
    version = runtime.policies.current.version  # loaded while the database was there
    runtime.engine = make_engine(DEAD_DATABASE)  # then the database goes away
    with serving(create_http_app(runtime, None)) as url:
        response = http_request("GET", url + "/healthz")
    assert response.status == 503
    report = response.json()
    assert report["ok"] is False
    assert report["database"] == "unreachable: OperationalError"
    assert report["policy_version"] == version


def test_a_signed_event_is_acked_and_acted_on(
    slack_app: Callable[..., ServedSlack], slack_standin: SlackStandIn
) -> None:
    served = probe_served(slack_app)
    mention = app_mention(f"<@{BOT_USER_ID}> {PROBE} hello")
    response = served.post_event(mention)
    assert (response.status, response.body) == (200, b"")
    [post] = slack_standin.wait_for("chat.postMessage")
    assert post.params["text"].startswith("echo hello")
    assert post.params["thread_ts"] == mention["ts"]
    assert post.params["channel"] == ALERTS_CHANNEL


def test_a_forged_signature_is_refused_and_nothing_happens(
    slack_app: Callable[..., ServedSlack], slack_standin: SlackStandIn
) -> None:
    served = probe_served(slack_app)
    audit_before = audit_kinds(served.runtime.engine)
    headers = {"Content-Type": "application/json"}
    body = json.dumps(event_callback(app_mention(f"{PROBE} forged"))).encode()
    attempts = {
        "wrong secret": (body, {**headers, **sign_request(body, "not-the-signing-secret")}),
        "body changed": (body.replace(b"forged", b"FORGED"), {**headers, **sign_request(body)}),
        "unsigned": (body, headers),
    }
    for name, (sent, sent_headers) in attempts.items():
        response = http_request("POST", served.url + "/slack/events", sent, sent_headers)
        assert response.status == 401, name
    assert_no_effect(slack_standin)
    assert count(served.runtime.engine, SlackEvent) == 0
    assert audit_kinds(served.runtime.engine) == audit_before
    # The same body signed with the real secret acts: the refusals were the signature's doing.
    assert served.post_signed(body, headers).status == 200
    slack_standin.wait_for("chat.postMessage")


def test_a_stale_timestamp_is_refused_and_a_recent_one_accepted(
    slack_app: Callable[..., ServedSlack], slack_standin: SlackStandIn
) -> None:
    served = probe_served(slack_app)
    six_minutes_ago = int(time.time()) - 6 * 60
    stale = served.post_event(app_mention(f"{PROBE} stale"), timestamp=six_minutes_ago)
    assert stale.status == 401
    assert_no_effect(slack_standin)
    assert count(served.runtime.engine, SlackEvent) == 0
    four_minutes_ago = int(time.time()) - 4 * 60
    recent = served.post_event(app_mention(f"{PROBE} recent"), timestamp=four_minutes_ago)
    assert recent.status == 200
    slack_standin.wait_for("chat.postMessage")


def test_url_verification_answers_the_challenge_only_when_signed(
    slack_app: Callable[..., ServedSlack],
) -> None:
    served = slack_app()
    challenge = {"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                 "type": "url_verification"}  # fmt: skip
    response = served.post_event(challenge)
    assert response.status == 200
    assert response.json() == {"challenge": challenge["challenge"]}
    assert served.post_event(challenge, secret="wrong").status == 401


def test_a_redelivered_event_acts_once(
    slack_app: Callable[..., ServedSlack], slack_standin: SlackStandIn
) -> None:
    served = probe_served(slack_app)
    envelope = event_callback(app_mention(f"{PROBE} once"))
    first = served.post_event(envelope)
    retries = [
        served.post_event(envelope, retry_num=n, retry_reason="http_timeout") for n in (1, 2)
    ]
    assert [r.status for r in (first, *retries)] == [200, 200, 200]
    other = served.post_event(app_mention(f"{PROBE} another"))  # a different event still acts
    assert other.status == 200
    posts = slack_standin.wait_for("chat.postMessage", 2)
    served.wait_idle()
    time.sleep(QUIET_SECONDS)
    posts = slack_standin.calls("chat.postMessage")
    assert sorted(p.params["text"].split(" from")[0] for p in posts) == [
        "echo another",
        "echo once",
    ]
    assert count(served.runtime.engine, SlackEvent) == 2


def test_mentions_by_the_bot_itself_or_other_bots_are_ignored(
    slack_app: Callable[..., ServedSlack], slack_standin: SlackStandIn
) -> None:
    served = probe_served(slack_app)
    own = app_mention(f"{PROBE} mine", user=BOT_USER_ID)
    other_bot = {**app_mention(f"{PROBE} theirs", user="U0OTHERBOT"), "bot_id": "B0OTHER"}
    for event in (own, other_bot):
        assert served.post_event(event).status == 200
    assert_no_effect(slack_standin)


def test_other_bots_count_in_the_alert_intake_channel(
    slack_app: Callable[..., ServedSlack], slack_standin: SlackStandIn
) -> None:
    served = probe_served(slack_app, slack_alert_intake_channel="C0INTAKE")
    event = {**app_mention(f"{PROBE} alert", channel="C0INTAKE"), "bot_id": "B0SIEM"}
    assert served.post_event(event).status == 200
    [post] = slack_standin.wait_for("chat.postMessage")
    assert post.params["channel"] == "C0INTAKE"


def test_events_from_another_workspace_are_dropped_and_audited(
    slack_app: Callable[..., ServedSlack], slack_standin: SlackStandIn
) -> None:
    served = probe_served(slack_app)
    foreign_envelope = event_callback(app_mention(f"{PROBE} a"), team_id=OTHER_TEAM_ID)
    foreign_user = {**app_mention(f"{PROBE} b", user="U0STRANGER"), "user_team": OTHER_TEAM_ID}
    assert served.post_event(foreign_envelope).status == 200
    assert served.post_event(foreign_user).status == 200
    served.wait_idle()
    assert_no_effect(slack_standin)
    with served.runtime.engine.connect() as conn:
        rows = conn.execute(
            select(AuditEvent.actor, AuditEvent.data).where(AuditEvent.kind == "slack.refused")
        ).all()
    assert sorted(actor for actor, _ in rows) == ["U0ANALYST1", "U0STRANGER"]
    for _, data in rows:
        refused = json.loads(data)
        assert OTHER_TEAM_ID in refused["why"]
        assert refused["channel"] == ALERTS_CHANNEL and refused["event"] == "app_mention"
        assert refused["ts"]


def test_socket_mode_needs_no_signing_secret_and_exposes_no_unsigned_events_route(
    make_runtime: Callable[..., Runtime], slack_standin: SlackStandIn
) -> None:
    runtime = make_runtime(
        seed=False, slack_bot_token=slack_standin.token, slack_api_url=slack_standin.api_url
    )
    service = start_service(runtime, socket_mode=True, registrars=[probe_listeners], triage=False)
    try:
        with serving(service.http) as url:
            assert http_request("GET", url + "/healthz").status == 200
            unsigned = json.dumps(event_callback(app_mention(f"{PROBE} sneaky"))).encode()
            assert http_request("POST", url + "/slack/events", unsigned).status == 404
        envelope = event_callback(app_mention(f"{PROBE} socket"))
        for _ in range(2):  # what SocketModeHandler does with each envelope it receives
            request = BoltRequest(body=envelope, mode="socket_mode")
            assert service.bolt.dispatch(request).status == 200
        [post] = slack_standin.wait_for("chat.postMessage")
        assert post.params["text"].startswith("echo socket")
        time.sleep(QUIET_SECONDS)
        assert len(slack_standin.calls("chat.postMessage")) == 1
    finally:
        service.close(timeout=10)
