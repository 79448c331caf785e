"""A local stand-in for the Slack Web API: a real HTTP server on 127.0.0.1, for tests.

Point a slack_sdk WebClient (or socbot's settings: SLACK_API_URL) at `standin.api_url` and
it answers the way Slack does, records every call, and can be scripted to fail.

    from tests.support.slack_standin import SlackStandIn, SlackUser

    with SlackStandIn(users=[SlackUser("U0IDADMIN1", email="ada@example.com")]) as slack:
        client = WebClient(token=slack.token, base_url=slack.api_url)
        client.chat_postMessage(channel="C0ALERTS", text="hi")
        [call] = slack.calls("chat.postMessage")
        assert call.params["text"] == "hi"

Or use the `slack_standin` pytest fixture (tests/support/slack.py). What it knows:

- auth.test, chat.postMessage / update / postEphemeral / getPermalink, conversations.replies
  (threads built from what was posted, plus `add_message`), conversations.open, users.info
  (`add_user`), usergroups.users.list (`set_usergroup`), files.getUploadURLExternal + the
  upload URL + files.completeUploadExternal (bytes kept in `uploads`), and slash-command
  response URLs (`response_url()`; POSTs recorded as method "response_url"). Anything else
  answers {"ok": false, "error": "unknown_method"}.
- The token is checked (Bearer header or `token` param): wrong → invalid_auth, none → not_authed.
- `rate_limit_next(method, times, retry_after)` answers 429 + Retry-After; `error_next(method,
  error, times)` answers {"ok": false, "error": error}; `drop_next(method, times)` closes the
  connection without an answer.
- `outage(method, seconds)` and `rate_limit_for(method, seconds)` fail every call of method
  for a while (tests/support/slack_standin_faults.py).
- `calls(method)`, `wait_for(method, count, timeout)`, `messages(channel)`; each RecordedCall
  has method, params (form, query or JSON, decoded), at (time.time()), status, ok, response.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support.loopback import LoopbackStandIn
from tests.support.slack_standin_faults import FaultWindows
from tests.support.slack_standin_methods import METHODS, SlackMethods, SlackUser, Upload

__all__ = ["RecordedCall", "SlackStandIn", "SlackUser", "Upload", "decode_params"]

DEFAULT_TOKEN = "xoxb-socbot-test-token"
JSON_PARAMS = ("files", "blocks", "attachments", "metadata")


@dataclass(frozen=True)
class RecordedCall:
    """One Web API call as the stand-in saw it, and what it answered."""

    method: str
    params: dict[str, Any]
    at: float
    http_method: str
    token: str | None
    status: int
    response: dict[str, Any] | None

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response and self.response.get("ok"))


@dataclass
class _Failure:
    kind: str  # "rate_limit" | "error" | "drop"
    remaining: int
    retry_after: int = 0
    error: str = ""


@dataclass
class _Answer:
    status: int
    body: dict[str, Any] | None  # None: drop the connection
    headers: dict[str, str] = field(default_factory=dict)


class SlackStandIn(SlackMethods, FaultWindows, LoopbackStandIn):
    """The Slack Web API on 127.0.0.1. Thread-safe; start/stop or use as a context manager."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        team_id: str = "T0SOCBOT",
        team: str = "socbot test workspace",
        bot_user_id: str = "U0SOCBOT",
        bot_id: str = "B0SOCBOT",
        users: Iterable[SlackUser] = (),
        usergroups: dict[str, list[str]] | None = None,
    ) -> None:
        FaultWindows.__init__(self)
        LoopbackStandIn.__init__(self)
        self.token = token
        self.team_id = team_id
        self.team = team
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self._lock = threading.Condition()
        self._calls: list[RecordedCall] = []
        self._users: dict[str, SlackUser] = {}
        self._usergroups: dict[str, list[str]] = dict(usergroups or {})
        self._failures: dict[str, list[_Failure]] = {}
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._uploads: dict[str, Upload] = {}
        self._ts_counter = itertools.count(100)
        self._id_counter = itertools.count(1)
        self.add_user(SlackUser(bot_user_id, real_name="socbot", is_bot=True))
        for user in users:
            self.add_user(user)

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL / WebClient(base_url=...) should be."""
        return self.url + "/api/"

    # -- configuring ----------------------------------------------------------------------

    def add_user(self, user: SlackUser) -> None:
        with self._lock:
            self._users[user.id] = user

    def set_usergroup(self, usergroup_id: str, members: Iterable[str]) -> None:
        with self._lock:
            self._usergroups[usergroup_id] = list(members)

    def add_message(
        self, channel: str, text: str, *, user: str, ts: str | None = None, **extra: Any
    ) -> str:
        """Put a message someone else wrote into a channel (for conversations.replies)."""
        with self._lock:
            ts = ts or self._next_ts()
            self._messages[(channel, ts)] = {
                "type": "message",
                "user": user,
                "text": text,
                "ts": ts,
                **extra,
            }
            return ts

    def rate_limit_next(self, method: str, times: int = 1, retry_after: int = 0) -> None:
        """Answer the next `times` calls of method with HTTP 429 and Retry-After (seconds)."""
        self._add_failure(method, _Failure("rate_limit", times, retry_after=retry_after))

    def error_next(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next `times` calls of method with {"ok": false, "error": error}."""
        self._add_failure(method, _Failure("error", times, error=error))

    def drop_next(self, method: str, times: int = 1) -> None:
        """Close the connection without answering the next `times` calls of method."""
        self._add_failure(method, _Failure("drop", times))

    def _add_failure(self, method: str, failure: _Failure) -> None:
        with self._lock:
            self._failures.setdefault(method, []).append(failure)

    # -- querying -------------------------------------------------------------------------

    def calls(self, method: str | None = None, *, ok: bool | None = None) -> list[RecordedCall]:
        """Calls in arrival order; of one method, and only (un)successful ones, if asked."""
        with self._lock:
            return [
                c
                for c in self._calls
                if (method is None or c.method == method) and (ok is None or c.ok == ok)
            ]

    def wait_for(
        self, method: str, count: int = 1, timeout: float = 5.0, *, ok: bool | None = True
    ) -> list[RecordedCall]:
        """Block until `count` calls of method (successful by default) arrived; AssertionError
        naming what did arrive if they do not within timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(found := self.calls(method, ok=ok)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [
                        (c.method, c.status, (c.response or {}).get("error")) for c in self._calls
                    ]
                    raise AssertionError(
                        f"expected {count} {method} call(s) within {timeout}s, "
                        f"got {len(found)}; all calls: {seen}"
                    )
                self._lock.wait(left)
            return found

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages as they stand now (updates applied), oldest first."""
        with self._lock:
            found = [dict(m) for (ch, _), m in self._messages.items() if channel in (None, ch)]
        return sorted(found, key=lambda m: m["ts"])

    @property
    def uploads(self) -> list[Upload]:
        with self._lock:
            return list(self._uploads.values())

    def reset_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    # -- answering ------------------------------------------------------------------------

    def handle_api(
        self, http_method: str, method: str, params: dict[str, Any], token: str | None
    ) -> _Answer:
        with self._lock:
            answer = self._answer(method, params, token)
            body = answer.body if answer.body is not None else None
            self._calls.append(
                RecordedCall(method, params, time.time(), http_method, token, answer.status, body)
            )
            self._lock.notify_all()
            return answer

    def handle_response_url(self, hook_id: str, params: dict[str, Any]) -> None:
        """A POST to a slash command's response_url, recorded as method "response_url"."""
        with self._lock:
            params = {**params, "hook_id": hook_id}
            answer = {"ok": True}
            self._calls.append(
                RecordedCall("response_url", params, time.time(), "POST", None, 200, answer)
            )
            self._lock.notify_all()

    def response_url(self) -> str:
        """A fresh response_url for a slash command payload; what is POSTed there is recorded."""
        return f"{self.url}/response/{self._next_id('H')}"

    def handle_upload(self, file_id: str, data: bytes) -> bool:
        with self._lock:
            upload = self._uploads.get(file_id)
            if upload is None:
                return False
            self._uploads[file_id] = Upload(file_id, upload.filename, data)
            return True

    def _answer(self, method: str, params: dict[str, Any], token: str | None) -> _Answer:
        failure = self._take_failure(method)
        if failure is not None:
            return failure
        windowed = self.window_answer(method)
        if windowed is not None:
            return _Answer(*windowed)
        if token is None:
            return _Answer(200, {"ok": False, "error": "not_authed"})
        if token != self.token:
            return _Answer(200, {"ok": False, "error": "invalid_auth"})
        handler = METHODS.get(method)
        if handler is None:
            return _Answer(200, {"ok": False, "error": "unknown_method"})
        return _Answer(200, handler(self, params))

    def _take_failure(self, method: str) -> _Answer | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.pop(0)
        if failure.kind == "rate_limit":
            headers = {"Retry-After": str(failure.retry_after)}
            return _Answer(429, {"ok": False, "error": "ratelimited"}, headers)
        if failure.kind == "error":
            return _Answer(200, {"ok": False, "error": failure.error})
        return _Answer(0, None)


def decode_params(content_type: str, raw: bytes, query: str) -> dict[str, Any]:
    """Form, query-string or JSON parameters as one dict; JSON-valued form fields decoded."""
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if "json" in content_type and raw:
        loaded = json.loads(raw)
        params.update(loaded if isinstance(loaded, dict) else {})
        return params
    params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    for name in JSON_PARAMS:
        if isinstance(params.get(name), str):
            with contextlib.suppress(json.JSONDecodeError):
                params[name] = json.loads(params[name])
    return params


class _Handler(BaseHTTPRequestHandler):
    standin: SlackStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, http_method: str) -> None:
        parts = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        if parts.path.startswith("/upload/") and http_method == "POST":
            known = self.standin.handle_upload(parts.path.removeprefix("/upload/"), raw)
            self._send(200 if known else 404, f"OK - {len(raw)}".encode(), "text/plain")
            return
        if parts.path.startswith("/response/") and http_method == "POST":
            params = decode_params(self.headers.get("content-type", ""), raw, parts.query)
            self.standin.handle_response_url(parts.path.removeprefix("/response/"), params)
            self._send(200, b"ok", "text/plain")
            return
        if not parts.path.startswith("/api/"):
            self._send(404, b"not found", "text/plain")
            return
        params = decode_params(self.headers.get("content-type", ""), raw, parts.query)
        answer = self.standin.handle_api(
            http_method, parts.path.removeprefix("/api/"), params, self._token(params)
        )
        if answer.body is None:
            self.close_connection = True
            return
        body = json.dumps(answer.body).encode()
        self._send(answer.status, body, "application/json; charset=utf-8", answer.headers)

    def _token(self, params: dict[str, Any]) -> str | None:
        header = self.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip()
        token = params.pop("token", None)
        return str(token) if token else None

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("content-type", content_type)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
