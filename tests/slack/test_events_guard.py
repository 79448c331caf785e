"""/slack/events over real HTTP: oversized, unsigned and malformed requests get a 4xx with a
reason, never a 500, and an unsigned body is never parsed."""

from __future__ import annotations

import http.client
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from bot.slack.server import MAX_SLACK_BODY
from tests.support.slack import ServedSlack, http_request, sign_request

CHUNK = b"x" * 65_536


def post_chunked(url: str, chunks: Iterator[bytes], headers: dict[str, str]) -> int:
    """POST with Transfer-Encoding: chunked (no Content-Length); the response status."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        conn.putrequest("POST", parts.path)
        for name, value in {**headers, "Transfer-Encoding": "chunked"}.items():
            conn.putheader(name, value)
        conn.endheaders()
        try:
            for chunk in chunks:
                conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and hung up before the rest was sent
        return conn.getresponse().status
    finally:
        conn.close()


def test_a_chunked_body_past_the_cap_is_413_whatever_its_signature(
    slack_app: Callable[..., ServedSlack],
) -> None:
    served = slack_app()
    count = MAX_SLACK_BODY // len(CHUNK) + 8  # about half a megabyte past the cap
    status = post_chunked(
        served.url + "/slack/events",
        iter([CHUNK] * count),
        {"Content-Type": "application/json"},
    )
    assert status == 413
    assert served.get("/healthz").status == 200


def test_a_chunked_body_under_the_cap_is_read_whole(
    slack_app: Callable[..., ServedSlack],
) -> None:
    served = slack_app()
    body = b'{"type": "url_verification", "challenge": "abc"}'
    headers = {"Content-Type": "application/json", **sign_request(body)}
    assert post_chunked(served.url + "/slack/events", iter([body[:10], body[10:]]), headers) == 200


def test_unsigned_malformed_json_is_401_not_500(slack_app: Callable[..., ServedSlack]) -> None:
    served = slack_app()
    for body in (b"{not json", b"\xff\xfe", b"[1, 2]", b"payload=%7Bbroken"):
        response = http_request(
            "POST", served.url + "/slack/events", body, {"Content-Type": "application/json"}
        )
        assert response.status == 401, body


def test_signed_but_unreadable_bodies_are_400_with_a_reason(
    slack_app: Callable[..., ServedSlack],
) -> None:
    served = slack_app()
    cases = {
        b"{not json": "application/json",
        b"[1, 2]": "application/json",
        b"\xff\xfe{}": "application/json",
        b"payload=%7Bbroken": "application/x-www-form-urlencoded",
        b"payload=%5B1%5D": "application/x-www-form-urlencoded",
    }
    for body, content_type in cases.items():
        response = served.post_signed(body, {"Content-Type": content_type})
        assert response.status == 400, body
        assert response.body, body


def test_a_signed_well_formed_request_still_reaches_bolt(
    slack_app: Callable[..., ServedSlack],
) -> None:
    served = slack_app()
    challenge = {"type": "url_verification", "token": "t", "challenge": "xyz"}
    response = served.post_event(challenge)
    assert response.status == 200
    assert b"xyz" in response.body
