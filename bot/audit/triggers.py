"""Database triggers that make audit_event append-only: UPDATE, DELETE (and TRUNCATE) refused.

The same statements, keyed by dialect, are meant for the Alembic migration; every statement
is idempotent so create_schema may run them on each start.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection, Engine

from bot.errors import ConfigError

_REFUSAL = "audit_event is append-only"

APPEND_ONLY_TRIGGER_SQL: dict[str, list[str]] = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event "
        f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}: UPDATE refused'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event "
        f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}: DELETE refused'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"RAISE EXCEPTION USING MESSAGE = '{_REFUSAL}: ' || TG_OP || ' refused', "
        "ERRCODE = 'insufficient_privilege'; "
        "END $$",
        "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()",
        "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
        "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change()",
        # ALWAYS: otherwise a session with session_replication_role=replica skips them.
        "ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_append_only",
        "ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_no_truncate",
    ],
}


def install_append_only_triggers(target: Engine | Connection) -> None:
    """Install the triggers for target's dialect; run inside target's transaction if given one."""
    if isinstance(target, Engine):
        with target.begin() as conn:
            _execute_all(conn)
        return
    _execute_all(target)


def _execute_all(conn: Connection) -> None:
    statements = APPEND_ONLY_TRIGGER_SQL.get(conn.dialect.name)
    if statements is None:
        raise ConfigError(
            f"no append-only audit triggers for {conn.dialect.name}: use SQLite or PostgreSQL"
        )
    for statement in statements:
        conn.exec_driver_sql(statement)
