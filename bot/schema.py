"""The database schema: Alembic migrations in bot/migrations, applied by create_schema.

create_schema(engine) brings a database to the newest revision. It is idempotent, cheap when
nothing is pending (one revision lookup, then nothing more for that engine in this process),
and safe when several processes start at once: on PostgreSQL the upgrade holds an advisory
lock, on SQLite every transaction begins IMMEDIATE (bot.db); either way the second process
waits, then finds the schema at head and does nothing. An empty database is built by replaying
what the first from-nothing upgrade in the process sent (see _build_empty_database), which
keeps a test suite that makes a database per test fast.

No alembic.ini is needed: alembic_config() builds the configuration in code. To add a revision
after changing a table, upgrade a scratch database to head, then:

    from alembic import command
    from bot.schema import alembic_config
    command.revision(alembic_config("sqlite:///scratch.db"), "what changed", autogenerate=True)

and review the generated file by hand (types, indexes, constraints, defaults, triggers).
"""

from __future__ import annotations

import importlib
import threading
import weakref
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine

from bot.errors import ConfigError

TABLE_MODULES = (
    "bot.audit.event",
    "bot.tasks.records",
    "bot.actions.requests",
    "tools.providers.lab.models",
    "bot.alerts.tables",
    "bot.slack.event_claims",
    "bot.slack.answers.store",
    "bot.slack.answers.outbox_store",
    "bot.tasks.heartbeat",
    "bot.digest.store",
    "bot.openbao.leases",
    "bot.audit.checkpoints",
    "bot.policy.history",
    "bot.alerts.intake.receipts",
)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# First key of pg_advisory_xact_lock(int4, int4); the second is the schema, so databases that
# share a server but not a schema (one per test) do not wait for each other.
UPGRADE_LOCK_KEY = 0x50C0B07

_upgraded: weakref.WeakSet[Engine] = weakref.WeakSet()
_upgrade_lock = threading.Lock()
# (dialect, server version, head) → the statements a from-nothing upgrade sent, reads left out.
_empty_database_upgrades: dict[tuple[str, Any, str], list[tuple[str, Any]]] = {}
_READS = ("SELECT", "PRAGMA", "SHOW")


def import_table_modules() -> None:
    """Import every module that declares tables, so SQLModel.metadata knows them all."""
    for name in TABLE_MODULES:
        importlib.import_module(name)


def alembic_config(url: str | None = None, *, connection: Connection | None = None) -> Config:
    """Alembic's configuration for socbot's migrations, built without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # The option is read through configparser, which treats % as interpolation.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise ConfigError(f"no migrations found in {MIGRATIONS_DIR}: the package is incomplete")
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def create_schema(engine: Engine) -> None:
    """Bring the database to the newest revision; once per engine per process."""
    with _upgrade_lock:
        if engine in _upgraded:
            return
        with engine.begin() as connection:
            _hold_upgrade_lock(connection)
            _upgrade_to_head(connection)
        _upgraded.add(engine)


def _hold_upgrade_lock(connection: Connection) -> None:
    # SQLite needs nothing here: the transaction already began IMMEDIATE, holding the write lock.
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key, hashtext(coalesce(current_schema(), '')))"),
            {"key": UPGRADE_LOCK_KEY},
        )


def _upgrade_to_head(connection: Connection) -> None:
    current = current_revision(connection)
    if current == head_revision():
        return
    tables = inspect(connection).get_table_names() if current is None else []
    if "audit_event" in tables:
        raise ConfigError(
            f"the database at {connection.engine.url.render_as_string(hide_password=True)} "
            "has socbot tables but no migration history (it predates migrations): "
            "export what you need with `socbot audit export`, then start a fresh database"
        )
    if current is None and not tables:
        _build_empty_database(connection)
        return
    command.upgrade(alembic_config(connection=connection), "head")


def _build_empty_database(connection: Connection) -> None:
    """Upgrade an empty database from nothing to head.

    The first empty database of a kind in this process runs the migrations and keeps the
    statements they sent; later ones (a test suite makes hundreds) get those same statements
    replayed, without Alembic's per-run Python work. Migrations must therefore build the same
    schema on every empty database of a dialect and server version: no branching on data.
    """
    dialect = connection.dialect
    key = (dialect.name, dialect.server_version_info, head_revision())
    recorded = _empty_database_upgrades.get(key)
    if recorded is None:
        _empty_database_upgrades[key] = _upgrade_recording_statements(connection)
        return
    for statement, parameters in recorded:
        connection.exec_driver_sql(statement, parameters)


def _upgrade_recording_statements(connection: Connection) -> list[tuple[str, Any]]:
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(_READS):
            sent.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", record)
    try:
        command.upgrade(alembic_config(connection=connection), "head")
    finally:
        event.remove(connection, "before_cursor_execute", record)
    return sent
