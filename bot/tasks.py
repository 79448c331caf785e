"""Tasks: one unit of bot work with its own id, its limits, and an end that revokes credentials.

A task is the "session" of session governance. Whatever way it ends (success, error, limit,
exception), every credential issued under it is revoked and the end is audited.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel

from bot.clock import utcnow
from bot.db import session_scope
from bot.errors import CredentialError, LimitExceeded

if TYPE_CHECKING:
    from bot.audit import AuditLog
    from bot.credentials import CredentialBroker


class TaskRecord(SQLModel, table=True):
    __tablename__ = "task"

    id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(index=True, max_length=20)
    actor: str = Field(max_length=120)
    status: str = Field(default="running", index=True, max_length=20)
    started_at: datetime
    deadline_at: datetime
    ended_at: datetime | None = Field(default=None, index=True)
    owner_host: str = Field(max_length=255)
    owner_pid: int
    summary: str | None = Field(default=None, max_length=500)


@dataclass(frozen=True)
class TaskLimits:
    model_turns: int
    tool_calls: int
    tokens: int
    seconds: float


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
    status: str = "ok"
    summary: str | None = None

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


# Tasks this process is running now: a task row with this process's pid that is not here was
# left by an earlier process with the same pid (a restarted container), which is dead.
_running_here: set[str] = set()
_running_lock = threading.Lock()


def running_here(task_id: str) -> bool:
    with _running_lock:
        return task_id in _running_here


class TaskRunner:
    """Starts and ends tasks; the end always revokes the task's credentials."""

    def __init__(self, engine: Engine, audit: AuditLog, broker: CredentialBroker) -> None:
        self._engine = engine
        self._audit = audit
        self._broker = broker

    @contextmanager
    def run(
        self, kind: str, actor: str, limits: TaskLimits, *, subject: dict[str, Any] | None = None
    ) -> Iterator[TaskHandle]:
        handle = TaskHandle(new_task_id(), kind, actor, limits)
        with _running_lock:
            _running_here.add(handle.id)
        try:
            self._start(handle, subject or {})
        except BaseException:
            with _running_lock:
                _running_here.discard(handle.id)
            raise
        try:
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
                with _running_lock:
                    _running_here.discard(handle.id)

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
