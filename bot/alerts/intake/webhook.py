"""POST /alerts/{source}: the alert webhook, mounted in the serve process's Starlette app.

A sender signs each request with its source's secret from settings.alert_secrets
(SOCBOT_ALERT_SECRETS, JSON {"okta": "…"}):

    X-Socbot-Timestamp: <Unix seconds>
    X-Socbot-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>

(bot.alerts.intake.signature spells it out; requests more than 5 minutes off are refused.) The body
is one JSON event as the vendor sends it, at most settings.alert_max_bytes; it is read as a
stream and reading stops one byte past the cap.

    202 {alert_id, status: accepted|duplicate, group_id}   stored before the answer
    401 bad or missing signature         404 unknown source, or no secret configured for it
    413 body over the cap                422 not JSON, not an object, or not normalizable
    409 a replay: this signature, or this vendor event id, was taken in before
    429 too many refused requests from this client (nothing kept; wait a minute)
    503 the database could not store it, or did not answer within
        settings.db_deadline_seconds (nothing kept; Retry-After says when to send it again)

Every 4xx body is {error, reason, rejected_id}: the payload (up to the cap) is kept in the
rejected_alert table with the reason, so nothing sent is lost (within a per-source hourly
quota: past it only the payload's head is kept; see bot.alerts.intake.webhook_guard).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import anyio
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.alerts.intake.batcher import IntakeBatcher
from bot.alerts.intake.normalize import known_sources
from bot.alerts.intake.pipeline import Intake, IntakeItem, IntakeOutcome, IntakeUnavailable, Problem
from bot.alerts.intake.receipts import ReceiptBook, receipt_keys
from bot.alerts.intake.signature import (
    MAX_SKEW_SECONDS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature_problem,
)
from bot.alerts.intake.store import Prepared, Rejection
from bot.alerts.intake.webhook_guard import RefusalLimiter, within_quota
from bot.db_deadline import with_deadline
from bot.db_health import DeadlineWatch
from bot.errors import IntakeBusy
from bot.runtime import Runtime

log = logging.getLogger(__name__)

STATUS_FOR: dict[Problem, int] = {
    "unauthorized": 401,
    "unknown_source": 404,
    "too_large": 413,
    "invalid": 422,
    "replay": 409,
}
LIMITED_RETRY_SECONDS = "60"
RETRY_AFTER_SECONDS = "5"
SOURCE_CHARS = 120
INLINE_BYTES = 16_384


def alert_routes(
    runtime: Runtime,
    on_accepted: Callable[[], None] | None = None,
    *,
    watch: DeadlineWatch | None = None,
) -> list[BaseRoute]:
    """The webhook's routes; on_accepted is called after each new (non-duplicate) alert;
    watch hears of each request that ran out of time on the database."""
    webhook = AlertWebhook(runtime, on_accepted, watch)
    return [Route("/alerts/{source}", webhook.receive, methods=["POST"])]


class AlertWebhook:
    def __init__(
        self,
        runtime: Runtime,
        on_accepted: Callable[[], None] | None,
        watch: DeadlineWatch | None = None,
    ) -> None:
        settings = runtime.settings
        deadline = settings.db_deadline_seconds
        self.intake = Intake(runtime, deadline_seconds=deadline)
        self.batcher = IntakeBatcher(self.intake.store, max_wait=deadline)
        self._secrets = settings.alert_secrets
        self._on_accepted = on_accepted
        self._watch = watch or DeadlineWatch()
        self._limiter = RefusalLimiter(settings.alert_refusals_per_minute)
        self._quota = settings.alert_rejected_quota_bytes
        keep = max(settings.dedupe_window_seconds, 2 * MAX_SKEW_SECONDS)
        # Recording a delivery waits on the database no longer than storing it does.
        self._receipts = ReceiptBook(with_deadline(runtime.engine, deadline), keep)

    async def receive(self, request: Request) -> Response:
        source = request.path_params["source"][:SOURCE_CHARS]
        client = request.client.host if request.client else "unknown"
        try:
            body, size = await read_capped(request, self.intake.max_bytes)
        except ClientDisconnect:
            return _error(400, "disconnected", "the request body did not arrive whole")
        item = IntakeItem(body, source, "webhook", size)
        prepared = self._refusal(request, item) or await self._prepare(item, len(body))
        keys: list[str] = []
        if isinstance(prepared, Prepared):
            keys = receipt_keys(
                source, request.headers.get(SIGNATURE_HEADER), prepared.alert.vendor_event_id
            )
            try:
                prepared = await anyio.to_thread.run_sync(self._take, item, prepared, keys)
            except IntakeBusy as exc:
                return self._busy(exc)
        if isinstance(prepared, Rejection):
            # Past its share of refusals a client's junk is neither kept nor audited; a
            # signed, valid alert from it still gets through.
            if not self._limiter.allowed(source, client):
                response = _error(429, "rate_limited", "too many refused requests; wait a minute")
                response.headers["Retry-After"] = LIMITED_RETRY_SECONDS
                return response
            self._limiter.refused(source, client)
            prepared = await anyio.to_thread.run_sync(self._within_quota, prepared)
        try:
            outcome = await asyncio.wrap_future(self.batcher.submit(prepared))
        except IntakeUnavailable as exc:
            if isinstance(prepared, Prepared):  # not stored: the sender's retry is no replay
                await anyio.to_thread.run_sync(self._release, keys)
            return self._busy(exc)
        return self._answer(outcome)

    def _busy(self, exc: IntakeUnavailable) -> Response:
        if isinstance(exc, IntakeBusy):
            self._watch.missed()
        response = _error(503, "unavailable", str(exc))
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        return response

    def _release(self, keys: list[str]) -> None:
        try:
            self._receipts.release(keys)
        except SQLAlchemyError:
            # The sender's retry will then read as a replay; say so where operators look.
            log.error("could not release delivery receipts %s after a failed store", keys)

    def _take(self, item: IntakeItem, prepared: Prepared, keys: list[str]) -> Prepared | Rejection:
        if self._receipts.take(str(item.source), keys):
            return prepared
        reason = "a replay: this signature or this vendor event id was taken in before"
        return self._reject(item, reason, "replay")

    def _within_quota(self, rejection: Rejection) -> Rejection:
        return within_quota(self.intake.engine, rejection, self._quota)

    async def _prepare(self, item: IntakeItem, size: int) -> Prepared | Rejection:
        # A small body is read faster here than a thread hand-off takes; a big one is read
        # on a thread, so that it does not hold up the other requests.
        if size <= INLINE_BYTES:
            return self.intake.prepare(item)
        return await anyio.to_thread.run_sync(self.intake.prepare, item)

    def _refusal(self, request: Request, item: IntakeItem) -> Rejection | None:
        """The rejection to keep when source or signature is wrong, before reading the JSON."""
        source = str(item.source)
        secret = self._secrets.get(source)
        if source not in known_sources() or secret is None:
            why = "unknown source" if source not in known_sources() else "no webhook secret for"
            return self._reject(item, f"{why} {source!r}", "unknown_source")
        body = item.body if isinstance(item.body, bytes) else b""
        if len(body) > self.intake.max_bytes:
            return None  # prepare() refuses it as too large, with the size
        problem = signature_problem(
            secret.get_secret_value(),
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            body,
            time.time(),
        )
        return self._reject(item, problem, "unauthorized") if problem else None

    def _reject(self, item: IntakeItem, reason: str, problem: Problem) -> Rejection:
        return self.intake.rejection(
            item.body,
            reason=reason,
            problem=problem,
            source=item.source,
            via=item.via,
            size=item.size,
        )

    def _answer(self, outcome: IntakeOutcome) -> Response:
        if outcome.status == "rejected":
            code = STATUS_FOR.get(outcome.problem or "invalid", 422)
            return _error(code, outcome.problem or "invalid", outcome.reason, outcome.rejected_id)
        if outcome.status == "accepted" and self._on_accepted is not None:
            self._on_accepted()
        body = {
            "alert_id": outcome.alert_id,
            "status": outcome.status,
            "group_id": outcome.group_id,
        }
        if outcome.duplicate_of:
            body["duplicate_of"] = outcome.duplicate_of
        return JSONResponse(body, status_code=202)


async def read_capped(request: Request, max_bytes: int) -> tuple[bytes, int]:
    """The body up to max_bytes + 1 bytes, and its size: when reading stopped at the cap,
    the declared Content-Length if that is larger."""
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        received += len(chunk)
        if received > max_bytes:
            break
    body = b"".join(chunks)[: max_bytes + 1]
    if received <= max_bytes:
        return body, received  # whole: its own length, whatever the header claimed
    return body, max(received, _declared_length(request))


def _declared_length(request: Request) -> int:
    value = request.headers.get("content-length", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else 0


def _error(
    status: int, error: str, reason: str | None, rejected_id: str | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": error, "reason": reason, "rejected_id": rejected_id}, status_code=status
    )
