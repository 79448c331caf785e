"""Connections the audit log keeps open on PostgreSQL, for appends in autocommit."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, cast

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.db import is_postgres

# Kept idle at most; a burst of more threads appending at once opens and closes the extra ones.
# Appends queue on one lock, so more idle connections would add nothing.
MAX_IDLE_APPEND_CONNECTIONS = 8


def keeps_connections(engine: Engine) -> bool:
    """Whether AuditLog appends on this engine go through AutocommitConnections."""
    return is_postgres(engine) and engine.dialect.driver == "psycopg"


class AutocommitConnections:
    """psycopg connections kept open in autocommit, for appends outside a caller's transaction.

    A pooled transaction per event costs a checkout ping, BEGIN, COMMIT and a reset on return;
    an autocommit statement on a kept connection costs one round trip and its commit. A thread
    takes an idle connection for one statement and gives it back. One that raised is closed,
    never reused. A forked child opens its own and leaves its parent's alone.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._idle: list[psycopg.Connection[Any]] = []
        self._pid = os.getpid()
        self.closed = False

    def execute(self, sql: str, params: Mapping[str, Any]) -> int | None:
        """The statement's rowcount, or None when the connection broke under it (it may or
        may not have committed). Any other failure raises."""
        conn = self._take()
        try:
            rowcount = conn.execute(sql, params).rowcount
        except BaseException as exc:
            broken = conn.broken
            conn.close()
            if broken and isinstance(exc, psycopg.OperationalError):
                return None
            raise
        self._give_back(conn)
        return rowcount

    def close(self) -> None:
        """Close the idle connections, and any given back later."""
        self.closed = True
        self.close_idle()

    def close_idle(self, *_engine: Engine) -> None:
        """Close the idle connections (the engine_disposed listener); later appends open new
        ones."""
        idle, self._idle = self._idle, []
        if self._pid == os.getpid():
            for conn in idle:
                conn.close()

    def _take(self) -> psycopg.Connection[Any]:
        if self._pid != os.getpid():
            self._idle, self._pid = [], os.getpid()  # the parent's: psycopg leaves them be
        try:
            return self._idle.pop()
        except IndexError:
            return self._open()

    def _open(self) -> psycopg.Connection[Any]:
        # Opened through the engine, so its URL, connect arguments and events all apply.
        pooled = self.engine.raw_connection()
        conn = cast("psycopg.Connection[Any]", pooled.driver_connection)
        pooled.detach()
        conn.autocommit = True
        return conn

    def _give_back(self, conn: psycopg.Connection[Any]) -> None:
        if self.closed or len(self._idle) >= MAX_IDLE_APPEND_CONNECTIONS:
            conn.close()
        else:
            self._idle.append(conn)


def release_connections(engine: Engine, connections: AutocommitConnections) -> None:
    connections.close()
    if event.contains(engine, "engine_disposed", connections.close_idle):
        event.remove(engine, "engine_disposed", connections.close_idle)
