"""Property: whatever arrives at POST /alerts/{source} (any bytes, any headers, signed or not,
lying Content-Length, bodies cut into chunks) the answer is a 202 or a typed 4xx, never a
500, and every 4xx keeps the payload (its first cap bytes) as a rejected alert.

The ASGI app is called directly, so headers can hold bytes no HTTP client would send.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from bot.alerts.intake.signature import sign
from bot.alerts.intake.webhook import alert_routes
from bot.runtime import Runtime
from tests.alerts.intake_helpers import MakeRuntime, acme, acme_event, rows
from tests.alerts.webhook_helpers import SECRETS

__all__ = ["acme"]
pytestmark = pytest.mark.usefixtures("acme")
CAP = 2_048
TYPED = {401: "unauthorized", 404: "unknown_source", 413: "too_large", 422: "invalid"}


def mostly(usual: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> Any:
    """usual nine times in ten, rare otherwise."""
    return st.integers(0, 9).flatmap(lambda n: rare if n == 0 else usual)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
acme_events = st.builds(
    lambda user, kind, at, extra: {**acme_event(user, kind=kind, at=at), **extra},
    st.text(max_size=40),
    st.text(max_size=40),
    mostly(
        st.sampled_from(["2026-11-22T10:00:00Z", "1764000000", "2026-11-22 10:00:00"]),
        st.text(max_size=30) | st.integers(),
    ),
    st.dictionaries(st.text(max_size=10), json_values, max_size=3),
)
bodies = st.one_of(
    st.binary(max_size=3 * CAP),
    json_values.map(lambda v: json.dumps(v).encode()),
    acme_events.map(lambda e: json.dumps(e).encode()),
    acme_events.map(lambda e: json.dumps(e, ensure_ascii=False).encode("utf-8", "surrogatepass")),
)
header_bytes = st.binary(max_size=40).filter(lambda b: b"\r" not in b and b"\n" not in b)
# Weighted towards requests that get past routing and signing, where the parsing starts.
sources = mostly(
    st.sampled_from(["acme"] * 6 + ["okta", "github", "nosuch"]),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789_-:.", min_size=1, max_size=30),
)
signing = mostly(st.just("valid"), st.sampled_from(["stale", "wrong", "garbage", "none"]))


def headers_for(
    mode: str, source: str, payload: bytes, extra: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    now = str(int(time.time()) - (400 if mode == "stale" else 0))
    secret = SECRETS.get(source, "x") if mode != "wrong" else "wrong-secret"
    chosen: list[tuple[bytes, bytes]] = []
    if mode in ("valid", "stale", "wrong"):
        chosen = [
            (b"x-socbot-timestamp", now.encode()),
            (b"x-socbot-signature", sign(secret, now, payload).encode()),
        ]
    elif mode == "garbage":
        chosen = [(b"x-socbot-timestamp", b"\xff12"), (b"x-socbot-signature", b"sha256=\xe9")]
    return chosen + extra


async def call(
    app: Starlette, source: str, headers: list[tuple[bytes, bytes]], payload: bytes, chunk: int
) -> tuple[int, dict[str, Any]]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/alerts/{source}",
        "raw_path": f"/alerts/{source}".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 80),
    }
    pieces = [payload[i : i + chunk] for i in range(0, len(payload), chunk)] or [b""]
    messages = [
        {"type": "http.request", "body": piece, "more_body": n < len(pieces) - 1}
        for n, piece in enumerate(pieces)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(answer)


def kept_bytes(row: Any) -> bytes:
    return base64.b64decode(row.payload) if row.encoding == "base64" else row.payload.encode()


def check_kept(runtime: Runtime, status: int, answer: dict[str, Any], payload: bytes) -> None:
    assert set(answer) == {"error", "reason", "rejected_id"} and answer["error"] == TYPED[status]
    found = rows(
        runtime.engine, "SELECT * FROM rejected_alert WHERE id = :i", i=answer["rejected_id"]
    )
    assert len(found) == 1
    assert kept_bytes(found[0]) == payload[:CAP]
    assert bool(found[0].truncated) == (len(payload) > CAP)
    assert found[0].reason == answer["reason"]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    source=sources,
    payload=bodies,
    mode=signing,
    extra=st.lists(st.tuples(header_bytes.map(bytes.lower), header_bytes), max_size=3),
    declared=st.one_of(st.none(), st.integers(0, 10**20).map(str), st.text(max_size=8)),
    chunk=st.integers(1, 4_096),
)
def test_any_request_gets_a_202_or_a_typed_4xx_with_the_payload_kept(
    make_runtime: MakeRuntime,
    source: str,
    payload: bytes,
    mode: str,
    extra: list[tuple[bytes, bytes]],
    declared: str | None,
    chunk: int,
) -> None:
    runtime = _runtime(make_runtime)
    app = Starlette(routes=alert_routes(runtime))
    headers = headers_for(mode, source, payload, extra)
    if declared is not None:
        headers.append((b"content-length", declared.encode("utf-8", "surrogatepass")))
    status, answer = asyncio.run(call(app, source, headers, payload, chunk))
    assert status in (202, *TYPED), (status, answer)
    event(f"status {status}")
    if status == 202:
        stored = rows(runtime.engine, "SELECT id FROM alert WHERE id = :i", i=answer["alert_id"])
        assert len(stored) == 1 and answer["status"] in ("accepted", "duplicate")
        assert mode == "valid" and source in SECRETS
    else:
        check_kept(runtime, status, answer, payload)


_runtimes: dict[int, Runtime] = {}


def _runtime(make_runtime: MakeRuntime) -> Runtime:
    """One runtime per test (hypothesis reuses the function's fixtures across examples)."""
    key = id(make_runtime)
    if key not in _runtimes:
        _runtimes.clear()
        _runtimes[key] = make_runtime(seed=False, alert_secrets=SECRETS, alert_max_bytes=CAP)
    return _runtimes[key]
