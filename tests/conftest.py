"""Shared fixtures. Every test gets its own empty database.

By default that is a SQLite file in the test's tmp dir. With SOCBOT_TEST_DB=postgres the same
tests run on PostgreSQL (SOCBOT_TEST_POSTGRES_URL, default the local test server), each test in
a schema of its own so they stay independent and fast.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.agent.model import ChatModel
from bot.agent.offline import OfflineEngine
from bot.agent.tokens import TokenCounter
from bot.config import Settings
from bot.db import dispose_engine, make_engine
from bot.runtime import Runtime
from bot.schema import create_schema
from tools.providers.lab.seed import seed_lab

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


REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def make_runtime(db_url: str, tmp_path: Path) -> Iterator[Callable[..., Runtime]]:
    """Build a Runtime on this test's database with the lab seeded.

    `policy_text` replaces the project's policy.yaml (written to a tmp file the test may edit
    through `runtime.settings.policy_path`); `model` overrides the engine (default: offline).
    """

    def build(
        *,
        model: ChatModel | None = None,
        policy_text: str | None = None,
        seed: bool = True,
        **overrides: Any,
    ) -> Runtime:
        policy_path = tmp_path / "policy.yaml"
        if policy_text is not None or not policy_path.exists():
            text_ = policy_text or (REPO_ROOT / "policy.yaml").read_text(encoding="utf-8")
            policy_path.write_text(text_, encoding="utf-8")
        settings = Settings(
            _env_file=None,
            database_url=db_url,
            policy_path=policy_path,
            openai_api_key=None,
            **overrides,
        )
        runtime = Runtime(settings, model_override=model or OfflineEngine(TokenCounter()))
        if seed:
            seed_lab(runtime.engine)
        return runtime

    yield build
    dispose_engine(db_url)
