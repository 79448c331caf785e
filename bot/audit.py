"""The audit log: every step of every task as one append-only, hash-chained, redacted row.

`AuditLog.record` appends; any failure raises AuditWriteError so the caller stops (fail
closed). Appends from many processes form one gapless chain: on PostgreSQL a transaction-level
advisory lock serialises them, on SQLite every transaction already starts with BEGIN
IMMEDIATE (bot.db). Rows are immutable, so a process that knows the row it wrote last can
append after it in one statement, and falls back to reading the head when another writer
has moved it. Reading the chain back lives beside this module: audit_verify (check it),
audit_export (jsonl/csv), audit_lineage (one task drawn as text).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import TextClause, select, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from bot.audit_event import (
    AUDIT_TABLE,
    GENESIS_HASH,
    ROW_COLUMNS,
    AuditEvent,
    EventKind,
    seal,
    to_event,
)
from bot.audit_export import export_events, parse_since
from bot.audit_lineage import render_lineage, task_lineage
from bot.audit_triggers import APPEND_ONLY_TRIGGER_SQL, install_append_only_triggers
from bot.audit_verify import VerifyReport, chain_head, verify
from bot.canonical import canonical_json
from bot.clock import utcnow
from bot.db import is_postgres
from bot.errors import AuditWriteError
from bot.redaction import Redactor, default_redactor

__all__ = [
    "APPEND_ONLY_TRIGGER_SQL",
    "GENESIS_HASH",
    "AuditEvent",
    "AuditLog",
    "EventKind",
    "VerifyReport",
    "chain_head",
    "export_events",
    "install_append_only_triggers",
    "parse_since",
    "render_lineage",
    "task_lineage",
    "verify",
]

# Advisory-lock class for audit appends; the second key is the table's oid, so deployments in
# different schemas of one database do not queue behind each other.
CHAIN_LOCK_CLASS = 0x5C0B
_PG_LOCK = "pg_advisory_xact_lock(:lock_class, 'audit_event'::regclass::int)"
_PG_CHAIN_LOCK = text(f"SELECT {_PG_LOCK}")
_HEAD = select(AUDIT_TABLE.c.seq, AUDIT_TABLE.c.hash).order_by(AUDIT_TABLE.c.seq.desc()).limit(1)
_INSERT = AUDIT_TABLE.insert()


def _append_after_own_head_sql(lock_source: str) -> TextClause:
    """An INSERT after the row this process wrote last, which inserts nothing if that row is
    no longer the head (its successor exists: ON CONFLICT) or is gone (EXISTS)."""
    return text(
        f"INSERT INTO audit_event ({', '.join(ROW_COLUMNS)}) "
        f"SELECT {', '.join(':' + name for name in ROW_COLUMNS)} {lock_source}"
        "WHERE EXISTS (SELECT 1 FROM audit_event WHERE seq = :seq - 1 AND hash = :head_hash) "
        "ON CONFLICT (seq) DO NOTHING"
    )


# PostgreSQL takes the chain lock inside the same statement; SQLite holds it since BEGIN.
_PG_APPEND_AFTER_OWN_HEAD = _append_after_own_head_sql(f"FROM (SELECT {_PG_LOCK}) AS chain_lock ")
_SQLITE_APPEND_AFTER_OWN_HEAD = _append_after_own_head_sql("")


def _lock_chain_postgres(conn: Connection) -> None:
    conn.execute(_PG_CHAIN_LOCK, {"lock_class": CHAIN_LOCK_CLASS})


def _chain_locked_since_begin(_conn: Connection) -> None:
    """SQLite: bot.db begins every transaction with BEGIN IMMEDIATE, the database write lock."""


def _append_after_head(conn: Connection, fields: dict[str, Any]) -> dict[str, Any]:
    """Read the head and append after it; the caller holds the chain's write lock."""
    head = conn.execute(_HEAD).first()
    seq, prev_hash = (head.seq, head.hash) if head is not None else (0, GENESIS_HASH)
    # Stamped under the lock, so time order and seq order agree across processes.
    row = seal({**fields, "ts": utcnow()}, seq + 1, prev_hash)
    conn.execute(_INSERT, row)
    return row


class AuditLog:
    """Appends events to the audit_event chain of one database."""

    def __init__(self, engine: Engine, redactor: Redactor | None = None) -> None:
        self.engine = engine
        self.redactor = redactor if redactor is not None else default_redactor()
        postgres = is_postgres(engine)
        self._lock_chain = _lock_chain_postgres if postgres else _chain_locked_since_begin
        self._after_own_head = (
            _PG_APPEND_AFTER_OWN_HEAD if postgres else _SQLITE_APPEND_AFTER_OWN_HEAD
        )
        self._own_head: tuple[int, str] | None = None

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
            return to_event(self._append(fields, session))
        except Exception as exc:
            raise AuditWriteError(self._failure_message(kind, exc)) from exc

    def _append(self, fields: dict[str, Any], session: Session | None) -> dict[str, Any]:
        if session is not None:
            return self._append_in(session.connection(), fields)
        with self.engine.begin() as conn:
            return self._append_in(conn, fields)

    def _append_in(self, conn: Connection, fields: dict[str, Any]) -> dict[str, Any]:
        row = self._append_after_own_head(conn, fields)
        if row is None:
            self._lock_chain(conn)
            row = _append_after_head(conn, fields)
        self._own_head = (row["seq"], row["hash"])
        return row

    def _append_after_own_head(
        self, conn: Connection, fields: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The one-statement append; None when this process's last row is no longer the head."""
        if self._own_head is None:
            return None
        seq, prev_hash = self._own_head
        row = seal({**fields, "ts": utcnow()}, seq + 1, prev_hash)
        params = {**row, "head_hash": prev_hash, "lock_class": CHAIN_LOCK_CLASS}
        inserted = conn.execute(self._after_own_head, params).rowcount
        return row if inserted == 1 else None

    def _failure_message(self, kind: EventKind | str, exc: Exception) -> str:
        where = self.engine.url.render_as_string(hide_password=True)
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return (
            f"audit log write failed for {str(kind)!r}, so the action was stopped: {reason}. "
            f"Check that the database {where} is reachable and its schema is current."
        )
