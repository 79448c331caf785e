"""A webhook request never waits on a locked PostgreSQL table for longer than its deadline:
it answers 503 with Retry-After, keeps nothing, and /healthz says the database is not
answering in time. The lock is a real one, held by another connection."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.db import make_engine
from tests.alerts.deadline_helpers import (
    DEADLINE,
    PROMPT,
    Site,
    assert_refused_in_time,
    served_site,
)
from tests.alerts.intake_helpers import MakeRuntime
from tests.alerts.webhook_helpers import SECRETS
from tests.conftest import POSTGRES_URL, postgres_schema_url


@pytest.fixture
def db_url() -> Iterator[str]:
    """A schema of its own on the test PostgreSQL server, whatever SOCBOT_TEST_DB says."""
    admin = make_engine(POSTGRES_URL)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("SOCBOT_TEST_DB") == "postgres":
            raise
        pytest.skip(f"no PostgreSQL server at {POSTGRES_URL}: {type(exc).__name__}")
    try:
        yield postgres_schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def site(make_runtime: MakeRuntime) -> Iterator[Site]:
    runtime = make_runtime(seed=False, alert_secrets=SECRETS, db_deadline_seconds=DEADLINE)
    with served_site(runtime) as served:
        yield served


@pytest.fixture
def locker(db_url: str) -> Iterator[Connection]:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


@pytest.mark.parametrize("mode", ["ACCESS EXCLUSIVE", "EXCLUSIVE"])
def test_a_locked_alert_table_is_a_prompt_503_and_healthz_says_so(
    site: Site, locker: Connection, mode: str
) -> None:
    locker.execute(text(f"LOCK TABLE alert IN {mode} MODE"))
    reply, took = site.send_alert()
    assert_refused_in_time(reply, took)
    status, report, waited = site.health()
    assert status == 503 and waited < PROMPT
    assert str(report["database"]).startswith("not answering in time")
    locker.rollback()

    reply, _ = site.send_alert()
    assert (reply.status, reply.body["status"]) == (202, "accepted")
    assert site.stored_alerts() == 1  # the refused request kept nothing


def test_the_deadline_stays_with_the_request(site: Site, locker: Connection) -> None:
    """The pooled connection the webhook used has no timeouts left for the workers and the
    CLI, which share the pool and still wait for a lock."""
    locker.execute(text("LOCK TABLE alert IN ACCESS EXCLUSIVE MODE"))
    assert site.send_alert()[0].status == 503
    locker.rollback()
    assert site.send_alert()[0].status == 202
    with site.runtime.engine.connect() as conn:
        timeouts = [conn.execute(text(f"SHOW {name}")).scalar_one() for name in TIMEOUTS]
    assert timeouts == ["0", "0"]


TIMEOUTS = ("lock_timeout", "statement_timeout")
