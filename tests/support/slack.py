"""Driving socbot's real Slack app over HTTP in tests: signed requests, event builders, a
served app against the Slack stand-in (tests/support/slack_standin.py).

Fixtures (available in tests/slack/ through its conftest; elsewhere import them:
`from tests.support.slack import slack_app, slack_standin  # noqa: F401`):

    def test_mention_gets_a_reply(slack_app, slack_standin):
        served = slack_app()  # make_runtime(...) kwargs pass through: model=, policy_text=, …
        response = served.post_event(app_mention("<@U0SOCBOT> triage this"))
        assert response.status == 200
        [post] = slack_standin.wait_for("chat.postMessage")

`slack_app(registrars=[fn])` adds listeners (fn(app, ctx)) after the real ones. The served app
is bot.slack.server's: signature check, dedupe, worker pool, healthz, alert routes. Each
served app runs uvicorn on a free 127.0.0.1 port in a background thread; it is closed at the
end of the test. Events are acked at once and admitted (dedupe, workspace check) on a thread
of their own: `served.wait_idle()` waits until admission and the worker pool are both idle.

Builders: event_callback(event) wraps an event in Slack's envelope (fresh event_id);
app_mention / message / reaction build events; slash_command builds a /socbot form body;
sign_request(body, secret, timestamp) gives Slack's v0 signature headers.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
import uvicorn

from bot.runtime import Runtime
from bot.slack.app import Registrar
from bot.slack.server import SlackService, start_service
from tests.support.slack_standin import SlackStandIn

SIGNING_SECRET = "socbot-test-signing-secret"
TEAM_ID = "T0SOCBOT"  # the stand-in's workspace
OTHER_TEAM_ID = "T0ELSEWHERE"
APP_ID = "A0SOCBOT"
BOT_USER_ID = "U0SOCBOT"  # the stand-in's auth.test user_id
ANALYST = "U0ANALYST1"
ALERTS_CHANNEL = "C0ALERTS"

_ts_counter = itertools.count(1)


def next_ts() -> str:
    """A message ts no other call in this process returns (and unlike the stand-in's)."""
    return f"{1_710_000_000 + next(_ts_counter)}.000001"


# ---------------------------------------------------------------------------------------------
# Signing
# ---------------------------------------------------------------------------------------------


def sign_request(
    body: bytes | str, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """X-Slack-Signature and X-Slack-Request-Timestamp for body, per Slack's v0 scheme."""
    raw = body.encode() if isinstance(body, str) else body
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + stamp.encode() + b":" + raw
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Signature": f"v0={digest}", "X-Slack-Request-Timestamp": stamp}


# ---------------------------------------------------------------------------------------------
# Payload builders
# ---------------------------------------------------------------------------------------------


def event_callback(
    event: Mapping[str, Any],
    *,
    event_id: str | None = None,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    bot_user_id: str = BOT_USER_ID,
) -> dict[str, Any]:
    """The Events API envelope around event, with a fresh event_id unless one is given."""
    return {
        "token": "unused-verification-token",
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:12].upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }


def app_mention(
    text: str,
    *,
    user: str = ANALYST,
    channel: str = ALERTS_CHANNEL,
    ts: str | None = None,
    thread_ts: str | None = None,
    team: str = TEAM_ID,
) -> dict[str, Any]:
    ts = ts or next_ts()
    event = {
        "type": "app_mention",
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "team": team,
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message(
    text: str,
    *,
    user: str | None = ANALYST,
    channel: str = ALERTS_CHANNEL,
    channel_type: str = "channel",
    ts: str | None = None,
    thread_ts: str | None = None,
    bot_id: str | None = None,
    subtype: str | None = None,
    team: str = TEAM_ID,
    **extra: Any,
) -> dict[str, Any]:
    """A message event; channel_type "im" for a direct message, bot_id for a bot's post."""
    ts = ts or next_ts()
    event: dict[str, Any] = {
        "type": "message",
        "text": text,
        "ts": ts,
        "channel": channel,
        "channel_type": channel_type,
        "event_ts": ts,
        "team": team,
    }
    optional = {"user": user, "thread_ts": thread_ts, "bot_id": bot_id, "subtype": subtype}
    event.update({k: v for k, v in optional.items() if v is not None})
    event.update(extra)
    return event


def reaction(
    name: str,
    *,
    channel: str,
    ts: str,
    user: str = ANALYST,
    item_user: str = BOT_USER_ID,
    added: bool = True,
) -> dict[str, Any]:
    """reaction_added (or reaction_removed) on the message (channel, ts)."""
    return {
        "type": "reaction_added" if added else "reaction_removed",
        "user": user,
        "reaction": name,
        "item_user": item_user,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": next_ts(),
    }


def slash_command(
    text: str,
    *,
    command: str = "/socbot",
    user_id: str = ANALYST,
    channel_id: str = ALERTS_CHANNEL,
    team_id: str = TEAM_ID,
    response_url: str = "https://hooks.slack.invalid/commands/T0SOCBOT/1/abc",
) -> bytes:
    """The form body Slack POSTs for a slash command."""
    fields = {
        "token": "unused-verification-token",
        "team_id": team_id,
        "team_domain": "socbot-test",
        "channel_id": channel_id,
        "channel_name": "alerts",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{int(time.time())}.1.{uuid.uuid4().hex[:16]}",
    }
    return urlencode(fields).encode()


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpResult:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


def http_request(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> HttpResult:
    """One HTTP request; error statuses are returned, not raised."""
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HttpResult(response.status, response.read(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return HttpResult(error.code, error.read(), dict(error.headers))


@contextmanager
def serving(asgi_app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free 127.0.0.1 port in a thread; yields its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(asgi_app, lifespan="off", log_level="warning", backlog=512)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


# ---------------------------------------------------------------------------------------------
# The served app
# ---------------------------------------------------------------------------------------------


@dataclass
class ServedSlack:
    """socbot's Slack front end running over HTTP, and ways to talk to it as Slack does."""

    url: str
    service: SlackService
    standin: SlackStandIn
    secret: str = SIGNING_SECRET

    @property
    def runtime(self) -> Runtime:
        return self.service.runtime

    def post_event(
        self,
        event_or_envelope: Mapping[str, Any],
        *,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        secret: str | None = None,
        timestamp: int | None = None,
    ) -> HttpResult:
        """POST an event (wrapped in a fresh envelope unless it is one) to /slack/events."""
        envelope = event_or_envelope
        if "event" not in envelope and envelope.get("type") != "url_verification":
            envelope = event_callback(event_or_envelope)
        headers = {"Content-Type": "application/json"}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        body = json.dumps(envelope).encode()
        return self.post_signed(body, headers, secret=secret, timestamp=timestamp)

    def post_command(self, text: str, **fields: Any) -> HttpResult:
        """POST /socbot text; respond() calls reach the stand-in as method "response_url"."""
        fields.setdefault("response_url", self.standin.response_url())
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.post_signed(slash_command(text, **fields), headers)

    def post_signed(
        self,
        body: bytes,
        headers: Mapping[str, str],
        *,
        secret: str | None = None,
        timestamp: int | None = None,
    ) -> HttpResult:
        signed = {**headers, **sign_request(body, secret or self.secret, timestamp)}
        return http_request("POST", self.url + "/slack/events", body, signed)

    def get(self, path: str) -> HttpResult:
        return http_request("GET", self.url + path)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Until every event posted so far was admitted (or dropped) and the worker pool ran
        everything handed to it (AssertionError if not)."""
        deadline = time.monotonic() + timeout
        pools = (self.service.gate.admission, self.service.workers)
        while any(pool.pending for pool in pools):
            if time.monotonic() > deadline:
                raise AssertionError(f"{[p.pending for p in pools]} Slack jobs still running")
            time.sleep(0.01)


def slack_settings(standin: SlackStandIn, secret: str = SIGNING_SECRET) -> dict[str, Any]:
    """Settings overrides (for make_runtime) that point socbot at the stand-in."""
    return {
        "slack_bot_token": standin.token,
        "slack_signing_secret": secret,
        "slack_api_url": standin.api_url,
    }


@contextmanager
def serve_app(
    runtime: Runtime,
    standin: SlackStandIn,
    *,
    registrars: Sequence[Registrar] = (),
    triage: bool = False,
) -> Iterator[ServedSlack]:
    """Serve bot.slack.server's app for runtime (whose settings point at standin)."""
    service = start_service(runtime, registrars=registrars, triage=triage)
    try:
        with serving(service.http) as url:
            yield ServedSlack(url, service, standin)
    finally:
        service.close(timeout=10)


@pytest.fixture
def slack_standin() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def slack_app(
    make_runtime: Callable[..., Runtime], slack_standin: SlackStandIn
) -> Iterator[Callable[..., ServedSlack]]:
    """Factory: slack_app(registrars=(), triage=False, **make_runtime_kwargs) → ServedSlack."""
    with ExitStack() as stack:

        def start(
            *, registrars: Sequence[Registrar] = (), triage: bool = False, **kwargs: Any
        ) -> ServedSlack:
            settings = {**slack_settings(slack_standin), **kwargs}
            runtime = make_runtime(**settings)
            return stack.enter_context(
                serve_app(runtime, slack_standin, registrars=registrars, triage=triage)
            )

        yield start
