"""Database URLs checked before any engine is built, and failures to reach one explained.

Without this a malformed URL, an unsupported driver or a server that is down surfaces as a
SQLAlchemy or driver traceback dozens of lines long."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from bot.errors import ConfigError

SUPPORTED_DRIVERS = {"sqlite": {"pysqlite"}, "postgresql": {"psycopg"}}
EXAMPLES = "sqlite:///socbot.db or postgresql://USER:PASSWORD@HOST:5432/DATABASE"
SETTING = "DATABASE_URL (or --database)"
_PASSWORD = re.compile(r"(://[^/@:]*:)[^@/]*@")


def masked(url: str) -> str:
    """The URL as it may be printed: any password replaced by ***."""
    return _PASSWORD.sub(r"\1***@", url)


def checked_url(url: str) -> URL:
    """The parsed URL, or a ConfigError naming what is wrong with it and what would work."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"{SETTING} {masked(url)!r} is not a database URL; write it like {EXAMPLES}"
        ) from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend not in SUPPORTED_DRIVERS:
        raise ConfigError(
            f"{SETTING} uses {backend!r}, which socbot does not support; use SQLite or "
            f"PostgreSQL: {EXAMPLES}"
        )
    if driver not in SUPPORTED_DRIVERS[backend]:
        raise ConfigError(
            f"{SETTING} asks for the {driver!r} driver; socbot talks to {backend} through "
            f"{'/'.join(sorted(SUPPORTED_DRIVERS[backend]))}: drop '+{driver}' from the URL"
        )
    return parsed


def missing_sqlite_file(url: str) -> Path | None:
    """The SQLite file a URL names, if it does not exist (None for memory or other servers)."""
    parsed = checked_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database or "")
    return None if path.exists() else path


def refuse_missing_database(url: str) -> None:
    """Read-only commands look at a database; they never create an empty one."""
    path = missing_sqlite_file(url)
    if path is not None:
        raise ConfigError(
            f"no database at {path.absolute()}: set {SETTING} to the database socbot uses "
            "(a read-only command never creates one; `socbot db upgrade` does)"
        )


def check_reachable(engine: Engine) -> None:
    """Connect once; a refusal becomes a ConfigError naming the URL and the likely fix."""
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        reason = str(exc.orig or exc).strip().splitlines()
        where = engine.url.render_as_string(hide_password=True)
        raise ConfigError(
            f"cannot reach the database at {where}: {reason[0] if reason else 'refused'}\n"
            f"check {SETTING}, that the server is running and that it accepts this user"
        ) from exc
