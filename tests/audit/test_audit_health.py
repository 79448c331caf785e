"""socbot refuses to run on, and /healthz reports, a database whose audit log is no longer
append-only: triggers dropped, hollowed out, disabled, or (PostgreSQL) skippable by a session
with session_replication_role=replica."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from bot.audit.health import append_only_problems, require_append_only
from bot.audit.log import AuditLog
from bot.db import is_postgres
from bot.errors import ConfigError
from bot.runtime import Runtime
from bot.slack.server import create_http_app
from tests.support.slack import http_request, serving
from tests.support.tamper_attacks import drop_triggers

MakeRuntime = Callable[..., Runtime]


def test_a_fresh_database_is_append_only(engine: Engine) -> None:
    assert append_only_problems(engine) == []
    require_append_only(engine)


def test_dropped_triggers_are_named_and_refused(engine: Engine) -> None:
    drop_triggers(engine)
    problems = append_only_problems(engine)
    assert len(problems) == 2 and all("missing" in p for p in problems)
    with pytest.raises(ConfigError, match="not append-only"):
        require_append_only(engine)


def test_a_runtime_will_not_write_audit_to_a_database_without_triggers(
    make_runtime: MakeRuntime,
) -> None:
    runtime = make_runtime(seed=False)
    drop_triggers(runtime.engine)
    with pytest.raises(ConfigError, match="trigger audit_event_"):
        _ = runtime.audit


def test_healthz_is_503_when_the_audit_log_is_not_append_only(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(seed=False)
    _ = runtime.policies.current
    with serving(create_http_app(runtime, None)) as url:
        assert http_request("GET", url + "/healthz").status == 200
        drop_triggers(runtime.engine)
        response = http_request("GET", url + "/healthz")
    assert response.status == 503
    assert "missing" in response.json()["audit"]


def test_a_trigger_that_no_longer_refuses_is_named(engine: Engine) -> None:
    drop_triggers(engine)
    with engine.begin() as conn:
        if is_postgres(engine):
            conn.exec_driver_sql(
                "CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$"
            )
            for name, when in (
                ("audit_event_append_only", "UPDATE OR DELETE"),
                ("audit_event_no_truncate", "TRUNCATE"),
            ):
                each = "STATEMENT" if when == "TRUNCATE" else "ROW"
                conn.exec_driver_sql(
                    f"CREATE TRIGGER {name} BEFORE {when} ON audit_event FOR EACH {each} "
                    "EXECUTE FUNCTION audit_event_refuse_change()"
                )
                conn.exec_driver_sql(f"ALTER TABLE audit_event ENABLE ALWAYS TRIGGER {name}")
        else:
            for name, op in (
                ("audit_event_no_update", "UPDATE"),
                ("audit_event_no_delete", "DELETE"),
            ):
                conn.exec_driver_sql(
                    f"CREATE TRIGGER {name} BEFORE {op} ON audit_event BEGIN SELECT 1; END"
                )
    problems = append_only_problems(engine)
    assert len(problems) == 2 and all("no longer refuses" in p for p in problems)


@pytest.fixture
def postgres_engine(engine: Engine) -> Engine:
    if not is_postgres(engine):
        pytest.skip("PostgreSQL only: set SOCBOT_TEST_DB=postgres")
    return engine


@pytest.mark.postgres
def test_a_disabled_or_replica_skippable_trigger_is_named(postgres_engine: Engine) -> None:
    engine = postgres_engine
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
        conn.exec_driver_sql("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_truncate")
    assert append_only_problems(engine) == [
        "trigger audit_event_append_only is disabled (need ENABLE ALWAYS)",
        "trigger audit_event_no_truncate is skipped by replica sessions (need ENABLE ALWAYS)",
    ]


@pytest.mark.postgres
def test_a_replica_session_cannot_rewrite_the_log(postgres_engine: Engine) -> None:
    engine = postgres_engine
    AuditLog(engine).record("task.start", task_id="task_r", data={})
    for statement in (
        "UPDATE audit_event SET actor = 'mallory'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            conn.exec_driver_sql(statement)
