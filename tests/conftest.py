"""Shared fixtures. Every test gets its own empty database.

By default that is a SQLite file in the test's tmp dir. With SOCBOT_TEST_DB=postgres the same
tests run on PostgreSQL (SOCBOT_TEST_POSTGRES_URL, default the local test server), each test in
a schema of its own so they stay independent and fast.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.db import make_engine
from bot.schema import create_schema

POSTGRES_URL = os.environ.get(
    "SOCBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
USE_POSTGRES = os.environ.get("SOCBOT_TEST_DB", "sqlite") == "postgres"


def postgres_schema_url(schema: str) -> str:
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    if not USE_POSTGRES:
        yield f"sqlite:///{tmp_path / 'socbot-test.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield postgres_schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    create_schema(eng)
    yield eng
    eng.dispose()
