"""What /slack/events checks before Bolt sees a request: size, signature, then shape.

Bolt parses the body when the request is built, before its own signature check runs, so a
malformed body from anyone used to surface as a 500. Here the body is read in chunks and cut
off at the cap (a chunked upload declares no length), the v0 signature and its timestamp are
checked on the raw bytes, and only a signed body is parsed. Every refusal is a 4xx with a
short reason: 413 too large, 401 unsigned or stale, 400 signed but unreadable.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.requests import Request

from bot.errors import BodyTooLarge

SIGNATURE_HEADER = "x-slack-signature"
TIMESTAMP_HEADER = "x-slack-request-timestamp"
MAX_AGE_SECONDS = 300  # Slack's own rule: older requests may be replays


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str


async def read_capped(request: Request, limit: int) -> bytes:
    """The request body, or BodyTooLarge as soon as more than limit bytes arrive."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class EventsGuard:
    """Checks one /slack/events request; None means Bolt may have it."""

    def __init__(self, signing_secret: str, max_body: int) -> None:
        self._secret = signing_secret.encode()
        self.max_body = max_body

    async def read(self, request: Request) -> tuple[bytes, Refusal | None]:
        try:
            body = await read_capped(request, self.max_body)
        except BodyTooLarge:
            return b"", Refusal(413, "request too large")
        return body, self.check(body, request.headers.get(SIGNATURE_HEADER), request)

    def check(self, body: bytes, signature: str | None, request: Request) -> Refusal | None:
        if not self._signed(body, request.headers.get(TIMESTAMP_HEADER) or "", signature or ""):
            return Refusal(401, "invalid or missing Slack signature")
        return readable(body, request.headers.get("content-type") or "")

    def _signed(self, body: bytes, timestamp: str, signature: str) -> bool:
        if not self._secret:  # no secret: Bolt refuses the request itself
            return True
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_AGE_SECONDS:
            return False
        # Over the raw bytes: a body that is not UTF-8 is still checked, then refused as 400.
        base = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def readable(body: bytes, content_type: str) -> Refusal | None:
    """A 400 when the (signed) body is not the UTF-8 JSON or form data it claims to be."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal(400, "body is not UTF-8")
    if content_type.startswith("application/json") or text.lstrip().startswith("{"):
        return _json_object(text, "body")
    payload = parse_qs(text).get("payload")
    return _json_object(payload[0], "payload") if payload else None


def _json_object(text: str, what: str) -> Refusal | None:
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return Refusal(400, f"{what} is not valid JSON")
    if not isinstance(parsed, dict):
        return Refusal(400, f"{what} is not a JSON object")
    return None
