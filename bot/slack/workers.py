"""The worker pool behind the Slack listeners: they ack at once and hand slow work here.

A bounded number of threads runs the work. When work raises, the stack goes to the log under
a short error id, the failure is audited (kind "error"), and the person who asked is told
what failed with that id, so an admin can find the stack from the user's screenshot.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from slack_sdk import WebClient

from bot.audit.event import EventKind
from bot.audit.log import AuditLog

log = logging.getLogger(__name__)

ReplyTo = tuple[str, str | None]  # (channel, thread_ts)
BACKLOG_PER_WORKER = 200  # queued work beyond this is refused, not left to pile up


def new_error_id() -> str:
    return secrets.token_hex(4)


def failure_text(what: str, error_id: str) -> str:
    return (
        f":warning: Sorry, {what} failed (error id `{error_id}`). "
        "The details are in socbot's log under that id; please try again or tell your SOC admins."
    )


class ThreadWorkerPool:
    """WorkerPool (bot.slack.context) on a ThreadPoolExecutor of `size` threads."""

    def __init__(
        self,
        client: WebClient,
        audit: AuditLog,
        size: int,
        *,
        name: str = "slack-worker",
        backlog: int | None = None,
    ) -> None:
        self._client = client
        self._audit = audit
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix=name)
        self._max_backlog = backlog if backlog is not None else size * BACKLOG_PER_WORKER
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()
        self._closed = False

    def submit(
        self,
        what: str,
        work: Callable[..., Any],
        *args: Any,
        reply_to: ReplyTo | None = None,
        user: str | None = None,
    ) -> None:
        if not self.offer(what, work, *args, reply_to=reply_to, user=user):
            reason = "shutting down" if self._closed else "too busy"
            self._tell(f":hourglass: socbot is {reason}; {what} was not started.", reply_to, user)

    def offer(
        self,
        what: str,
        work: Callable[..., Any],
        *args: Any,
        reply_to: ReplyTo | None = None,
        user: str | None = None,
    ) -> bool:
        """Like submit, but a refusal (closed, or the backlog full) only returns False."""
        with self._lock:
            if self._closed or len(self._pending) >= self._max_backlog:
                log.warning("refused %s: %s", what, "closed" if self._closed else "backlog full")
                return False
            future = self._executor.submit(self._run, what, work, args, reply_to, user)
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return True

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def shutdown(self, timeout: float = 30.0, *, cancel_queued: bool = False) -> bool:
        """Take no more work; wait up to timeout for what was handed over (only for what
        already runs, with cancel_queued). True when all of it finished."""
        with self._lock:
            self._closed = True
        if cancel_queued:
            self._executor.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            pending = {future for future in self._pending if not future.cancelled()}
        _done, not_done = wait(pending, timeout=timeout)
        self._executor.shutdown(wait=False, cancel_futures=True)
        if not_done:
            log.warning("%d Slack jobs still running at shutdown", len(not_done))
        return not not_done

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def _run(
        self,
        what: str,
        work: Callable[..., Any],
        args: tuple[Any, ...],
        reply_to: ReplyTo | None,
        user: str | None,
    ) -> None:
        try:
            work(*args)
        except Exception as exc:
            report_failure(self._client, self._audit, what, exc, reply_to=reply_to, user=user)

    def _tell(self, text: str, reply_to: ReplyTo | None, user: str | None) -> None:
        tell(self._client, text, reply_to, user)


def report_failure(
    client: WebClient,
    audit: AuditLog,
    what: str,
    exc: BaseException,
    *,
    reply_to: ReplyTo | None,
    user: str | None,
) -> str:
    """Log the stack under a new error id, audit it, tell the user; the error id."""
    error_id = new_error_id()
    log.error("%s failed [error %s]", what, error_id, exc_info=exc)
    data = {
        "error_id": error_id,
        "what": what,
        "error": f"{type(exc).__name__}: {exc}"[:500],
        "channel": reply_to[0] if reply_to else None,
        "thread_ts": reply_to[1] if reply_to else None,
    }
    try:
        audit.record(EventKind.ERROR, actor=user or "slack", data=data)
    except Exception:
        log.exception("could not audit error %s", error_id)
    tell(client, failure_text(what, error_id), reply_to, user)
    return error_id


def tell(client: WebClient, text: str, reply_to: ReplyTo | None, user: str | None) -> None:
    """A short note to the user: ephemeral when we know who, else a reply in the thread."""
    if reply_to is None:
        return
    channel, thread_ts = reply_to
    try:
        if user:
            client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)
        else:
            client.chat_postMessage(channel=channel, text=text, thread_ts=thread_ts)
    except Exception:
        log.exception("could not tell the user in %s: %s", channel, text)
