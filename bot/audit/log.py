"""The audit log: every step of every task as one append-only, hash-chained, redacted row.

`AuditLog.record` appends; any failure raises AuditWriteError so the caller stops (fail
closed). Appends from many processes form one gapless chain: on PostgreSQL a transaction-level
advisory lock serialises them, on SQLite every transaction already starts with BEGIN
IMMEDIATE (bot.db). Rows are immutable, so a process that knows the row it wrote last can
append after it in one statement, and falls back to reading the head under the lock when
another writer has moved it. On PostgreSQL that statement runs in autocommit on a connection
the log keeps open, so a single writer pays one round trip and one commit per event.
Reading the chain back lives beside this module: audit_verify (check it), audit_export
(jsonl/csv), audit_lineage (one task drawn as text).
"""

from __future__ import annotations

import logging
import re
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import DateTime, bindparam, event, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import configure_mappers
from sqlalchemy.orm.instrumentation import manager_of_class
from sqlmodel import Session

from bot.audit.connections import (
    AutocommitConnections,
    keeps_connections,
    release_connections,
)
from bot.audit.event import (
    AUDIT_TABLE,
    GENESIS_HASH,
    ROW_COLUMNS,
    AuditEvent,
    EventKind,
    Sealer,
    seal,
)
from bot.audit.export import export_events, parse_since
from bot.audit.lineage import render_lineage, task_lineage
from bot.audit.triggers import APPEND_ONLY_TRIGGER_SQL, install_append_only_triggers
from bot.audit.verify import VerifyReport, chain_head, verify
from bot.canonical import canonical_json
from bot.clock import utcnow
from bot.db import is_postgres
from bot.errors import AuditWriteError
from bot.observability.metrics import observe_event
from bot.redaction import Redactor, default_redactor

__all__ = [
    "APPEND_ONLY_TRIGGER_SQL",
    "GENESIS_HASH",
    "AuditEvent",
    "AuditLog",
    "AutocommitConnections",
    "EventKind",
    "VerifyReport",
    "chain_head",
    "export_events",
    "install_append_only_triggers",
    "keeps_connections",
    "parse_since",
    "render_lineage",
    "task_lineage",
    "verify",
]

log = logging.getLogger(__name__)

# Advisory-lock class for audit appends; the second key is the table's oid, so deployments in
# different schemas of one database do not queue behind each other.
CHAIN_LOCK_CLASS = 0x5C0B
_HEAD = select(AUDIT_TABLE.c.seq, AUDIT_TABLE.c.hash).order_by(AUDIT_TABLE.c.seq.desc()).limit(1)
_INSERT = AUDIT_TABLE.insert()
_STORED = select(AUDIT_TABLE.c.seq).where(
    AUDIT_TABLE.c.seq == bindparam("seq"), AUDIT_TABLE.c.hash == bindparam("hash")
)
_AUDIT_EVENT_CLASS = manager_of_class(AuditEvent)
_PG_LOCK = "pg_advisory_xact_lock(:lock_class, 'audit_event'::regclass::int)"
_PG_CHAIN_LOCK = text(f"SELECT {_PG_LOCK}")


def _append_after_own_head_sql(lock_source: str) -> str:
    """An INSERT after the row this process wrote last, which inserts nothing if that row is
    no longer the head (its successor exists: ON CONFLICT) or is gone (EXISTS)."""
    return (
        f"INSERT INTO audit_event ({', '.join(ROW_COLUMNS)}) "
        f"SELECT {', '.join(':' + name for name in ROW_COLUMNS)} {lock_source}"
        "WHERE EXISTS (SELECT 1 FROM audit_event WHERE seq = :seq - 1 AND hash = :head_hash) "
        "ON CONFLICT (seq) DO NOTHING"
    )


# PostgreSQL takes the chain lock inside the statement (in autocommit: one round trip, one
# commit); SQLite holds it since BEGIN.
_PG_APPEND_SQL = _append_after_own_head_sql(f"FROM (SELECT {_PG_LOCK}) AS chain_lock ")
# ts is bound as the column's type, so SQLite stores it spelled as the ORM's inserts spell it
# (its driver's own adapter would add "+00:00" and drop whole-second fractions, and rows would
# then sort out of time order as text).
_TS_PARAM = bindparam("ts", type_=DateTime(timezone=True))
_PG_APPEND_AFTER_OWN_HEAD = text(_PG_APPEND_SQL).bindparams(_TS_PARAM)
_SQLITE_APPEND_AFTER_OWN_HEAD = text(_append_after_own_head_sql("")).bindparams(_TS_PARAM)
# The same statement for a bare psycopg connection, which takes %(name)s placeholders.
_PG_KEPT_APPEND_AFTER_OWN_HEAD = re.sub(r"(?<!:):(\w+)", r"%(\1)s", _PG_APPEND_SQL)


def _lock_chain_postgres(conn: Connection) -> None:
    conn.execute(_PG_CHAIN_LOCK, {"lock_class": CHAIN_LOCK_CLASS})


def _chain_locked_since_begin(_conn: Connection) -> None:
    """SQLite: bot.db begins every transaction with BEGIN IMMEDIATE, the database write lock."""


def _append_after_head(
    conn: Connection, fields: dict[str, Any], sealer: Sealer | None
) -> dict[str, Any]:
    """Read the head and append after it; the caller holds the chain's write lock."""
    head = conn.execute(_HEAD).first()
    seq, prev_hash = (head.seq, head.hash) if head is not None else (0, GENESIS_HASH)
    # Stamped under the lock, so time order and seq order agree across processes.
    row = seal({**fields, "ts": utcnow()}, seq + 1, prev_hash, sealer)
    conn.execute(_INSERT, row)
    return row


def _stored_event(row: dict[str, Any]) -> AuditEvent:
    """The row as an AuditEvent, built the way SQLAlchemy builds one it loads: the same object
    as AuditEvent(**row) at a tenth of the cost, which was a third of an append's CPU."""
    if not _AUDIT_EVENT_CLASS.mapper.configured:
        configure_mappers()  # what AuditEvent(**row) would do first
    event = _AUDIT_EVENT_CLASS.new_instance()
    event.__dict__.update({name: row[name] for name in ROW_COLUMNS})
    object.__setattr__(event, "__pydantic_fields_set__", set(ROW_COLUMNS))
    return event


def _params(row: dict[str, Any]) -> dict[str, Any]:
    """The one-statement append's parameters: the row, the hash it follows, the lock key."""
    return {**row, "head_hash": row["prev_hash"], "lock_class": CHAIN_LOCK_CLASS}


class AuditLog:
    """Appends events to the audit_event chain of one database.

    On PostgreSQL (psycopg) appends made outside a caller's transaction go through connections
    the log keeps open; `close()` closes them (so does disposing the engine, or dropping the
    log), after which appends take a pooled connection each.
    """

    def __init__(
        self,
        engine: Engine,
        redactor: Redactor | None = None,
        *,
        sealer: Sealer | None = None,
        on_append: Callable[[int], None] | None = None,
    ) -> None:
        self.engine = engine
        self.redactor = redactor if redactor is not None else default_redactor()
        # sealer: the row mac under a key outside the database; on_append: told each new seq
        # once it is stored (audit checkpoints), never allowed to fail the append.
        self._sealer = sealer
        self.on_append = on_append
        postgres = is_postgres(engine)
        self._lock_chain = _lock_chain_postgres if postgres else _chain_locked_since_begin
        self._after_own_head = (
            _PG_APPEND_AFTER_OWN_HEAD if postgres else _SQLITE_APPEND_AFTER_OWN_HEAD
        )
        self._own_head: tuple[int, str] | None = None
        self._connections: AutocommitConnections | None = None
        if keeps_connections(engine):
            self._connections = AutocommitConnections(engine)
            event.listen(engine, "engine_disposed", self._connections.close_idle)
            self._release = weakref.finalize(self, release_connections, engine, self._connections)

    def close(self) -> None:
        """Close the connections kept for appends; the log stays usable."""
        if self._connections is not None:
            self._connections = None
            self._release()

    def record(
        self,
        kind: EventKind | str,
        *,
        task_id: str | None = None,
        actor: str = "socbot",
        data: Mapping[str, Any] | None = None,
        tool: str | None = None,
        policy_version: str | None = None,
        prompt_hash: str | None = None,
        tool_hash: str | None = None,
        session: Session | None = None,
    ) -> AuditEvent:
        """Append one event (data redacted first) and return it as stored, hash included.

        With `session`, the event is written in that session's transaction, so the change it
        records and the record itself commit or roll back together.
        """
        try:
            fields = {
                "task_id": task_id,
                "kind": str(EventKind(kind)),
                "actor": actor,
                "tool": tool,
                "data": canonical_json(self.redactor.redact(dict(data or {}))),
                "policy_version": policy_version,
                "prompt_hash": prompt_hash,
                "tool_hash": tool_hash,
            }
            stored = _stored_event(self._append(fields, session))
            observe_event(str(fields["kind"]), data or {}, tool)
        except Exception as exc:
            raise AuditWriteError(self._failure_message(kind, exc)) from exc
        if self.on_append is not None and session is None:
            self._tell_appended(self.on_append, stored.seq)
        return stored

    def _tell_appended(self, on_append: Callable[[int], None], seq: int) -> None:
        try:
            on_append(seq)
        except Exception:
            log.exception("audit on_append hook failed after seq %d", seq)

    def _append(self, fields: dict[str, Any], session: Session | None) -> dict[str, Any]:
        if session is not None:
            row = self._append_in(session.connection(), fields)
        elif self._connections is not None:
            row = self._append_kept(self._connections, fields)
        else:
            with self.engine.begin() as conn:
                row = self._append_in(conn, fields)
        self._own_head = (row["seq"], row["hash"])
        return row

    def _append_in(self, conn: Connection, fields: dict[str, Any]) -> dict[str, Any]:
        row = self._row_after_own_head(fields)
        if row is not None and conn.execute(self._after_own_head, _params(row)).rowcount == 1:
            return row
        self._lock_chain(conn)
        return _append_after_head(conn, fields, self._sealer)

    def _append_kept(
        self, connections: AutocommitConnections, fields: dict[str, Any]
    ) -> dict[str, Any]:
        """One autocommit statement; a locked transaction when the head moved or the kept
        connection broke, which first looks for the row the broken statement may have stored."""
        row = self._row_after_own_head(fields)
        if row is None:
            return self._append_locked(fields, attempted=None)
        inserted = connections.execute(_PG_KEPT_APPEND_AFTER_OWN_HEAD, _params(row))
        if inserted == 1:
            return row
        return self._append_locked(fields, attempted=row if inserted is None else None)

    def _append_locked(
        self, fields: dict[str, Any], attempted: dict[str, Any] | None
    ) -> dict[str, Any]:
        with self.engine.begin() as conn:
            self._lock_chain(conn)
            if attempted is not None and conn.execute(_STORED, attempted).first() is not None:
                return attempted
            return _append_after_head(conn, fields, self._sealer)

    def _row_after_own_head(self, fields: dict[str, Any]) -> dict[str, Any] | None:
        """The row after the one this process wrote last; None before its first append."""
        if self._own_head is None:
            return None
        seq, prev_hash = self._own_head
        return seal({**fields, "ts": utcnow()}, seq + 1, prev_hash, self._sealer)

    def _failure_message(self, kind: EventKind | str, exc: Exception) -> str:
        where = self.engine.url.render_as_string(hide_password=True)
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return (
            f"audit log write failed for {str(kind)!r}, so the action was stopped: {reason}. "
            f"Check that the database {where} is reachable and its schema is current."
        )
