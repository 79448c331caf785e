"""Process heartbeats: how processes on other hosts are known to be alive, or not.

A process on this host is judged by its pid (bot.tasks.process_alive). One on another host cannot
be, so each serving process writes a row (host, pid, incarnation) and refreshes it every
BEAT_SECONDS; its work is reclaimed when the row goes stale, or when the row shows that the
pid now belongs to a later incarnation (the process was restarted).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel, select

from bot.clock import as_utc, utcnow
from bot.db import session_scope
from bot.db_deadline import read_only

log = logging.getLogger(__name__)

BEAT_SECONDS = 10.0
STALE_SECONDS = 45.0  # several missed beats: the process (or its host) is gone
# One per process: tells this process's work from an earlier process that had the same pid.
INCARNATION = uuid.uuid4().hex[:8]


class ProcessHeartbeat(SQLModel, table=True):
    __tablename__ = "process_heartbeat"

    host: str = Field(primary_key=True, max_length=255)
    pid: int = Field(primary_key=True)
    incarnation: str = Field(max_length=16)
    started_at: datetime
    beat_at: datetime


def beat(engine: Engine) -> None:
    """Write or refresh this process's row."""
    now = utcnow()
    with session_scope(engine) as session:
        row = session.get(ProcessHeartbeat, (socket.gethostname(), os.getpid()))
        if row is None or row.incarnation != INCARNATION:
            row = ProcessHeartbeat(
                host=socket.gethostname(),
                pid=os.getpid(),
                incarnation=INCARNATION,
                started_at=now,
                beat_at=now,
            )
        row.beat_at = now
        session.merge(row)


def remote_owner_dead(engine: Engine, host: str, pid: int, incarnation: str | None = None) -> bool:
    """True when (host, pid)'s heartbeat is stale, or shows a later incarnation than the one
    that took the work; False when it is fresh or there is no heartbeat to go by."""
    with session_scope(read_only(engine)) as session:
        row = session.exec(
            select(ProcessHeartbeat).where(
                ProcessHeartbeat.host == host, ProcessHeartbeat.pid == pid
            )
        ).first()
    if row is None:
        return False
    if incarnation is not None and row.incarnation != incarnation:
        return True
    return as_utc(row.beat_at) < utcnow() - timedelta(seconds=STALE_SECONDS)


class HeartbeatThread:
    """Beats every BEAT_SECONDS until stop()."""

    def __init__(self, engine: Engine, every: float = BEAT_SECONDS) -> None:
        self._engine = engine
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> HeartbeatThread:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                beat(self._engine)
            except Exception as exc:  # a missed beat is not fatal; several are the point
                log.warning("heartbeat not written: %s", exc)
            self._stop.wait(self._every)
