"""Create or upgrade the database schema. Every table module is imported here, once."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import SQLModel


def import_table_modules() -> None:
    """Import every module that declares tables, so SQLModel.metadata knows them all."""
    import importlib

    for name in TABLE_MODULES:
        importlib.import_module(name)


TABLE_MODULES = (
    "bot.audit",
    "bot.tasks",
    "bot.credentials",
    "bot.approvals",
    "tools.providers.lab.models",
)


def create_schema(engine: Engine) -> None:
    """Bring the database to the current schema (temporary: create_all until migrations land)."""
    import importlib

    for name in TABLE_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError:
            continue
    SQLModel.metadata.create_all(engine)
    from bot.audit_triggers import install_append_only_triggers

    install_append_only_triggers(engine)
