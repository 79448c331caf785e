"""Webhook signatures: HMAC-SHA256 over "<timestamp>.<body>" with the source's secret.

A sender sets two headers:

    X-Socbot-Timestamp: 1764000000                       (Unix seconds, UTC)
    X-Socbot-Signature: sha256=<hex of HMAC-SHA256(secret, b"1764000000." + body)>

The timestamp is inside the signed bytes, so a captured request cannot be replayed with a
new time; one older (or newer) than MAX_SKEW_SECONDS is refused. A replay inside that window
is stored, found to be a duplicate, and never triaged twice (bot.alerts.intake.dedupe).
"""

from __future__ import annotations

import hmac
import time

SIGNATURE_HEADER = "x-socbot-signature"
TIMESTAMP_HEADER = "x-socbot-timestamp"
SCHEME = "sha256="
MAX_SKEW_SECONDS = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Socbot-Signature value for body sent at timestamp."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, "sha256")
    return SCHEME + digest.hexdigest()


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """Both headers for a request sent now: what a sender (or a test) adds."""
    timestamp = str(int(time.time() if now is None else now))
    return {"X-Socbot-Timestamp": timestamp, "X-Socbot-Signature": sign(secret, timestamp, body)}


def signature_problem(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float
) -> str | None:
    """Why the request's signature does not hold, or None when it does. Constant-time."""
    if not timestamp:
        return "the X-Socbot-Timestamp header is missing"
    if not signature:
        return "the X-Socbot-Signature header is missing"
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return "X-Socbot-Timestamp must be Unix seconds"
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        return f"X-Socbot-Timestamp is more than {MAX_SKEW_SECONDS} s from the server's clock"
    expected = sign(secret, timestamp, body).encode("ascii")
    if not hmac.compare_digest(expected, signature.strip().encode("utf-8", "surrogateescape")):
        return "the signature does not match the body (expected sha256=<hex HMAC-SHA256>)"
    return None
