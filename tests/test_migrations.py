"""Schema migrations: the Alembic history builds exactly the tables the models declare, installs
the append-only audit triggers, and create_schema is idempotent, cheap and safe to race."""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

import bot.schema
from bot.audit.log import AuditLog, EventKind
from bot.db import is_postgres, make_engine
from bot.errors import ConfigError
from bot.redaction import Redactor
from bot.schema import (
    MIGRATIONS_DIR,
    TABLE_MODULES,
    alembic_config,
    create_schema,
    current_revision,
    head_revision,
    import_table_modules,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
PROCESSES = 3  # racing to create and configure one new database, then to upgrade it
TRIGGERS = {
    "sqlite": {"audit_event_no_update", "audit_event_no_delete"},
    "postgresql": {"audit_event_append_only", "audit_event_no_truncate"},
}


def schema_differences(connection: Connection) -> list[Any]:
    import_table_modules()
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, SQLModel.metadata))


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def trigger_names(engine: Engine) -> set[str]:
    if is_postgres(engine):
        query = (
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
            "AND tgrelid = 'audit_event'::regclass"
        )
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event'"
    with engine.connect() as conn:
        return {row[0] for row in conn.exec_driver_sql(query)}


@contextmanager
def statements_run(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine sends while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def fresh(db_url: str) -> Iterator[Engine]:
    """An engine on the test's empty database; create_schema has not run."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sibling(db_url: str, tmp_path: Path) -> Iterator[Callable[[], Engine]]:
    """More empty databases beside the test's own: SQLite files, or PostgreSQL schemas."""
    made: list[Engine] = []
    schemas: list[str] = []
    admin = make_engine(db_url)

    def make() -> Engine:
        if admin.dialect.name == "sqlite":
            url = f"sqlite:///{tmp_path / f'sibling-{len(made)}.db'}"
        else:
            own = re.search(r"search_path%3D(\w+)", db_url)
            assert own is not None, db_url
            schemas.append(f"{own[1]}_s{len(schemas)}")
            with admin.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {schemas[-1]}"))
            url = db_url.replace(f"%3D{own[1]}", f"%3D{schemas[-1]}")
        made.append(make_engine(url))
        return made[-1]

    yield make
    for engine in made:
        engine.dispose()
    with admin.begin() as conn:
        for schema in schemas:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def migrate_directly(engine: Engine) -> None:
    """Run the Alembic history itself, never a replayed recording of it."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(connection=conn), "head")


def schema_fingerprint(engine: Engine) -> dict[str, Any]:
    """Everything that makes up the schema, as reflected: tables, keys, indexes, triggers."""
    inspector = inspect(engine)
    with engine.connect() as conn:
        revision = current_revision(conn)
    return {
        "tables": {name: table_shape(inspector, name) for name in inspector.get_table_names()},
        "triggers": trigger_definitions(engine),
        "revision": revision,
    }


def table_shape(inspector: Any, name: str) -> dict[str, Any]:
    return {
        "columns": [
            (c["name"], str(c["type"]), c["nullable"], c.get("default"))
            for c in inspector.get_columns(name)
        ],
        "primary_key": inspector.get_pk_constraint(name)["constrained_columns"],
        "foreign_keys": sorted(
            (tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
            for f in inspector.get_foreign_keys(name)
        ),
        "indexes": sorted(
            (i["name"], tuple(i["column_names"]), i["unique"]) for i in inspector.get_indexes(name)
        ),
        "unique": sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)),
    }


def trigger_definitions(engine: Engine) -> list[tuple[str, str]]:
    if not is_postgres(engine):
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
        with engine.connect() as conn:
            return [(row[0], row[1]) for row in conn.execute(text(query))]
    query = (
        "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal "
        "AND tgrelid = 'audit_event'::regclass UNION ALL SELECT proname, prosrc "
        "FROM pg_proc WHERE pronamespace = current_schema()::regnamespace ORDER BY 1"
    )
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        rows = conn.execute(text(query)).all()
    # PostgreSQL names the trigger's table with its schema, which differs per database.
    return [(row[0], row[1].replace(f"{schema}.", "")) for row in rows]


@pytest.mark.parametrize(
    "build", [create_schema, migrate_directly], ids=["create_schema", "alembic"]
)
def test_upgrade_builds_every_declared_table_and_nothing_differs(
    fresh: Engine, build: Callable[[Engine], None]
) -> None:
    build(fresh)
    import_table_modules()
    assert table_names(fresh) == set(SQLModel.metadata.tables) | {"alembic_version"}
    with fresh.connect() as conn:
        assert current_revision(conn) == head_revision() == "0010"
        assert schema_differences(conn) == []


def test_every_module_declaring_a_table_is_known_to_the_migrations() -> None:
    declaring = set()
    for folder in ("bot", "tools"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            if re.search(r"\btable\s*=\s*True\b", path.read_text(encoding="utf-8")):
                relative = path.relative_to(REPO_ROOT).with_suffix("")
                declaring.add(".".join(relative.parts))
    assert declaring, "no table modules found: the scan is broken"
    assert declaring <= set(TABLE_MODULES)


def test_audit_event_is_append_only_after_upgrade(fresh: Engine) -> None:
    create_schema(fresh)
    assert trigger_names(fresh) == TRIGGERS[fresh.dialect.name]
    AuditLog(fresh, Redactor()).record(EventKind.ERROR, data={"message": "kept"})
    for statement in ("UPDATE audit_event SET data = '{}'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"), fresh.begin() as conn:
            conn.execute(text(statement))
    with fresh.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == 1


def test_running_again_is_a_cheap_no_op(db_url: str, fresh: Engine) -> None:
    create_schema(fresh)
    AuditLog(fresh, Redactor()).record(EventKind.ERROR, data={"message": "survives"})
    with statements_run(fresh) as cached_run:
        create_schema(fresh)
    assert cached_run == []  # the same engine is never asked twice in one process

    other = make_engine(db_url)
    try:
        with statements_run(other) as second_run:
            create_schema(other)
    finally:
        other.dispose()
    assert second_run and not [s for s in second_run if re.match(r"\s*(CREATE|DROP|ALTER)", s)]
    with fresh.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
        assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == 1
        assert schema_differences(conn) == []


def test_an_empty_database_built_by_replay_matches_the_migrations(
    fresh: Engine, sibling: Callable[[], Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    create_schema(sibling())  # from here on this process has a recording to replay

    def alembic_must_not_run(*_: Any, **__: Any) -> None:
        raise AssertionError("Alembic ran: the recorded upgrade should have been replayed")

    replayed = sibling()
    monkeypatch.setattr(command, "upgrade", alembic_must_not_run)
    create_schema(replayed)
    monkeypatch.undo()
    migrate_directly(fresh)
    expected = schema_fingerprint(fresh)
    assert expected["revision"] == head_revision() and expected["triggers"]
    assert schema_fingerprint(replayed) == expected
    with replayed.connect() as conn:
        assert schema_differences(conn) == []


def test_downgrade_to_base_removes_everything_and_upgrade_restores_it(fresh: Engine) -> None:
    create_schema(fresh)
    with fresh.begin() as conn:
        command.downgrade(alembic_config(connection=conn), "base")
    assert table_names(fresh) == {"alembic_version"}
    migrate_directly(fresh)
    assert trigger_names(fresh) == TRIGGERS[fresh.dialect.name]
    with fresh.connect() as conn:
        assert schema_differences(conn) == []


def test_migrations_run_from_a_url_without_a_handed_over_connection(
    db_url: str, fresh: Engine
) -> None:
    # The path a developer takes; the PostgreSQL test URL carries a %-escaped search_path.
    command.upgrade(alembic_config(db_url), "head")
    with fresh.connect() as conn:
        assert current_revision(conn) == head_revision()
        assert schema_differences(conn) == []


def test_postgres_sql_script_can_be_generated_offline(capsys: pytest.CaptureFixture[str]) -> None:
    command.upgrade(alembic_config("postgresql+psycopg://dba@db.invalid/socbot"), "head", sql=True)
    script = capsys.readouterr().out
    import_table_modules()
    for table in SQLModel.metadata.tables:
        assert f"CREATE TABLE {table} (" in script
    assert "CREATE TRIGGER audit_event_append_only" in script
    assert script.rstrip().endswith("COMMIT;")


def test_a_database_from_before_migrations_is_refused_with_advice(fresh: Engine) -> None:
    import_table_modules()
    SQLModel.metadata.create_all(fresh)
    with pytest.raises(ConfigError, match="no migration history"):
        create_schema(fresh)


def test_the_migrations_ship_inside_the_package() -> None:
    assert MIGRATIONS_DIR.parent == REPO_ROOT / "bot"
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "versions" / "0001_initial_schema.py").is_file()


def _upgrade_in_child(url: str, barrier: Any, results: Any) -> None:
    engine = make_engine(url)
    barrier.wait(timeout=30)
    try:
        create_schema(engine)
        results.put("ok")
    except Exception as exc:
        results.put(f"{type(exc).__name__}: {exc}")
    finally:
        engine.dispose()


@pytest.mark.parametrize("recording", [False, True], ids=["migrating", "replaying"])
def test_processes_upgrading_at_once_all_succeed(
    db_url: str,
    fresh: Engine,
    sibling: Callable[[], Engine],
    recording: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The children inherit this process's recordings: none, or one made here first.
    monkeypatch.setattr(bot.schema, "_empty_database_upgrades", {})
    if recording:
        create_schema(sibling())
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    children = [
        context.Process(target=_upgrade_in_child, args=(db_url, barrier, results))
        for _ in range(PROCESSES)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=60)
    assert [results.get(timeout=5) for _ in children] == ["ok"] * PROCESSES
    assert [child.exitcode for child in children] == [0] * PROCESSES
    with fresh.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
        assert schema_differences(conn) == []
    assert trigger_names(fresh) == TRIGGERS[fresh.dialect.name]
