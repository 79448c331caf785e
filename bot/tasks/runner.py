"""Tasks: one unit of bot work with its own id, its limits, and an end that revokes credentials.

A task is the "session" of session governance. Whatever way it ends (success, error, limit,
exception), every credential issued under it is revoked and the end is audited.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine

from bot.audit.log import AuditLog
from bot.clock import utcnow
from bot.db import session_scope
from bot.errors import CredentialError, LimitExceeded
from bot.observability.logs import log_context
from bot.tasks.credentials import CredentialBroker
from bot.tasks.records import TaskRecord
from bot.tasks.running import mark_running, mark_stopped


@dataclass(frozen=True)
class TaskLimits:
    model_turns: int
    tool_calls: int
    tokens: int
    seconds: float
    parked_actions: int = 10  # actions parked or drafted; one injected task cannot flood approvers


@dataclass
class TaskHandle:
    """The running task: its id and what it has used against its limits."""

    id: str
    kind: str
    actor: str
    limits: TaskLimits
    started_monotonic: float = field(default_factory=time.monotonic)
    turns: int = 0
    tool_calls: int = 0
    tokens: int = 0
    parked: int = 0
    status: str = "ok"
    summary: str | None = None
    # Who else caused this task (an alert's poster): a requester of what it parks.
    origin: frozenset[str] = frozenset()

    def charge_turn(self) -> None:
        self.check_time()
        self.turns += 1
        self._check("model_turns", self.turns, self.limits.model_turns)

    def charge_tool_call(self) -> None:
        self.check_time()
        self.tool_calls += 1
        self._check("tool_calls", self.tool_calls, self.limits.tool_calls)

    def charge_tokens(self, count: int) -> None:
        self.tokens += count
        self._check("tokens", self.tokens, self.limits.tokens)

    def tokens_left(self) -> int:
        return max(0, self.limits.tokens - self.tokens)

    def elapsed(self) -> float:
        return time.monotonic() - self.started_monotonic

    def check_time(self) -> None:
        self._check("seconds", round(self.elapsed(), 3), self.limits.seconds)

    @staticmethod
    def _check(limit: str, used: float, allowed: float) -> None:
        if used > allowed:
            raise LimitExceeded(limit, used, allowed)


def new_task_id() -> str:
    return "task_" + uuid.uuid4().hex[:16]


class TaskRunner:
    """Starts and ends tasks; the end always revokes the task's credentials."""

    def __init__(self, engine: Engine, audit: AuditLog, broker: CredentialBroker) -> None:
        self._engine = engine
        self._audit = audit
        self._broker = broker

    @contextmanager
    def run(
        self,
        kind: str,
        actor: str,
        limits: TaskLimits,
        *,
        subject: dict[str, Any] | None = None,
        origin: frozenset[str] = frozenset(),
    ) -> Iterator[TaskHandle]:
        handle = TaskHandle(new_task_id(), kind, actor, limits, origin=origin)
        mark_running(handle.id)
        try:
            self._start(handle, subject or {})
        except BaseException:
            mark_stopped(handle.id)
            raise
        try:
            with log_context(task_id=handle.id):
                yield handle
        except LimitExceeded as exc:
            handle.status = "limit"
            self._audit.record("limit.hit", task_id=handle.id, actor=actor, data=_limit_data(exc))
            raise
        except BaseException as exc:
            handle.status = "error"
            self._audit.record(
                "error",
                task_id=handle.id,
                actor=actor,
                data={"error": type(exc).__name__, "message": str(exc)[:500]},
            )
            raise
        finally:
            try:
                self._end(handle)
            finally:
                mark_stopped(handle.id)

    def _start(self, handle: TaskHandle, subject: dict[str, Any]) -> None:
        now = utcnow()
        record = TaskRecord(
            id=handle.id,
            kind=handle.kind,
            actor=handle.actor,
            started_at=now,
            deadline_at=now + timedelta(seconds=handle.limits.seconds),
            owner_host=socket.gethostname(),
            owner_pid=os.getpid(),
        )
        with session_scope(self._engine) as session:
            session.add(record)
        self._audit.record(
            "task.start",
            task_id=handle.id,
            actor=handle.actor,
            data={"kind": handle.kind, "limits": handle.limits.__dict__, "subject": subject},
        )

    def _end(self, handle: TaskHandle) -> None:
        ended = utcnow()
        with session_scope(self._engine) as session:
            session.execute(
                update(TaskRecord)
                .where(TaskRecord.id == handle.id)  # type: ignore[arg-type]
                .values(status=handle.status, ended_at=ended, summary=handle.summary)
            )
        revoke_error: CredentialError | None = None
        try:
            self._broker.revoke_task(handle.id, reason="task ended", ended_at=ended)
        except CredentialError as exc:
            revoke_error = exc  # the end is still audited; the sweeper retries what is left
        self._audit.record(
            "task.end",
            task_id=handle.id,
            actor=handle.actor,
            data={
                "status": handle.status,
                "turns": handle.turns,
                "tool_calls": handle.tool_calls,
                "tokens": handle.tokens,
                "seconds": round(handle.elapsed(), 3),
                "revocation_failed": None if revoke_error is None else str(revoke_error),
            },
        )
        if revoke_error is not None:
            raise revoke_error


def _limit_data(exc: LimitExceeded) -> dict[str, Any]:
    return {"limit": exc.limit, "used": exc.used, "allowed": exc.allowed}
