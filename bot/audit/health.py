"""Whether the database still makes audit_event append-only, checked at start-up and by /healthz.

SQLite: both triggers exist and still RAISE. PostgreSQL: both triggers exist on the table,
fire ALWAYS (so a session with session_replication_role=replica cannot skip them), and the
function they call still raises. A missing, disabled or hollowed-out trigger is named.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from bot.errors import ConfigError

SQLITE_TRIGGERS = ("audit_event_no_update", "audit_event_no_delete")
POSTGRES_TRIGGERS = ("audit_event_append_only", "audit_event_no_truncate")

_SQLITE_QUERY = text(
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event'"
)
_POSTGRES_QUERY = text(
    "SELECT t.tgname, t.tgenabled, p.prosrc FROM pg_trigger t "
    "JOIN pg_proc p ON p.oid = t.tgfoid "
    "WHERE t.tgrelid = to_regclass('audit_event') AND NOT t.tgisinternal"
)


def append_only_problems(engine: Engine) -> list[str]:
    """What is wrong with the append-only triggers; empty when they are all in force."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            return _sqlite_problems(conn)
        if conn.dialect.name == "postgresql":
            return _postgres_problems(conn)
    return [f"no append-only check for {engine.dialect.name}"]


def require_append_only(engine: Engine) -> None:
    """Refuse to run on a database whose audit log can be rewritten by an ordinary statement."""
    problems = append_only_problems(engine)
    if problems:
        raise ConfigError(
            "the audit log is not append-only: "
            + "; ".join(problems)
            + ". Restore the triggers (socbot db upgrade on a fresh database, or the statements "
            "in bot/audit_triggers.py) before starting socbot"
        )


def _sqlite_problems(conn: Connection) -> list[str]:
    found = {row.name: row.sql or "" for row in conn.execute(_SQLITE_QUERY)}
    problems = []
    for name in SQLITE_TRIGGERS:
        if name not in found:
            problems.append(f"trigger {name} is missing")
        elif "RAISE(ABORT" not in found[name].upper().replace(" ", ""):
            problems.append(f"trigger {name} no longer refuses the change")
    return problems


def _postgres_problems(conn: Connection) -> list[str]:
    found = {row.tgname: (row.tgenabled, row.prosrc or "") for row in conn.execute(_POSTGRES_QUERY)}
    problems = []
    for name in POSTGRES_TRIGGERS:
        if name not in found:
            problems.append(f"trigger {name} is missing")
            continue
        enabled, body = found[name]
        if enabled != "A":
            state = "disabled" if enabled == "D" else "skipped by replica sessions"
            problems.append(f"trigger {name} is {state} (need ENABLE ALWAYS)")
        if "RAISE EXCEPTION" not in body.upper():
            problems.append(f"trigger {name} no longer refuses the change")
    return problems
