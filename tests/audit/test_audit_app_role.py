"""The PostgreSQL role docs/audit.md tells operators to create: the app appends and reads the
audit log through it, and cannot change, remove or unprotect a row, even with the triggers gone.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import USE_POSTGRES
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from bot.audit.log import AuditLog, verify
from bot.db import make_engine
from tests.support.tamper_attacks import drop_triggers

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not USE_POSTGRES, reason="PostgreSQL only: set SOCBOT_TEST_DB=postgres"),
]
DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def documented_sql(role: str, schema: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- app-role-sql", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    block = block.replace("socbot_app", role)
    block = re.sub(r"\bsocbot\b", schema, block)
    return [s.strip() for s in block.split(";") if s.strip()]


@pytest.fixture
def app_engine(engine: Engine) -> Iterator[Engine]:
    schema = engine.url.query["options"].split("%3D")[-1].split("=")[-1]  # type: ignore[union-attr]
    role = f"socbot_app_{uuid.uuid4().hex[:10]}"
    with engine.begin() as conn:
        for statement in documented_sql(role, schema):
            conn.exec_driver_sql(statement)
    app = make_engine(str(engine.url.set(username=role)))
    try:
        yield app
    finally:
        app.dispose()
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")


REFUSED = [
    "UPDATE audit_event SET actor = 'mallory'",
    "DELETE FROM audit_event",
    "TRUNCATE audit_event",
    "DROP TRIGGER audit_event_append_only ON audit_event",
    "ALTER TABLE audit_event DISABLE TRIGGER ALL",
    "CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    "DROP TABLE audit_event",
    "SET session_replication_role = replica",
    "UPDATE audit_checkpoint SET head_hash = 'x'",
    "DELETE FROM audit_checkpoint",
]


def refused(engine: Engine, statement: str) -> bool:
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(statement)
    except DBAPIError:
        return True
    return False


def test_the_app_role_appends_and_reads_but_is_no_owner_or_superuser(app_engine: Engine) -> None:
    log = AuditLog(app_engine)
    for i in range(3):
        log.record("task.start", task_id="task_role", data={"i": i})
    log.close()
    assert verify(app_engine).events_checked == 3
    with app_engine.connect() as conn:
        superuser, owner = conn.exec_driver_sql(
            "SELECT r.rolsuper, pg_get_userbyid(c.relowner) FROM pg_roles r, pg_class c "
            "WHERE r.rolname = current_user AND c.oid = 'audit_event'::regclass"
        ).one()
        assert superuser is False and owner != conn.exec_driver_sql("SELECT current_user").scalar()


@pytest.mark.parametrize("statement", REFUSED)
def test_the_app_role_cannot_change_the_log(app_engine: Engine, statement: str) -> None:
    AuditLog(app_engine).record("task.start", task_id="task_role", data={})
    assert refused(app_engine, statement)
    assert verify(app_engine).events_checked == 1


@pytest.mark.parametrize("statement", REFUSED[:3])
def test_the_app_role_is_refused_even_with_the_triggers_gone(
    engine: Engine, app_engine: Engine, statement: str
) -> None:
    AuditLog(app_engine).record("task.start", task_id="task_role", data={})
    drop_triggers(engine)  # the owner's doing; the app's own rights still stop it
    with pytest.raises(DBAPIError, match="permission denied"), app_engine.begin() as conn:
        conn.exec_driver_sql(statement)
