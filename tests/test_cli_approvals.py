"""`socbot actions approve --as U…` trusts the id it is given: the operating-system user who
ran it is put on record beside it, and a deployment can turn command-line verdicts off."""

from __future__ import annotations

import getpass
import json

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.config import get_settings
from tests.test_cli import Socbot, socbot, triage_demo_alert

__all__ = ["socbot"]


@pytest.fixture
def db(db_url: str) -> Engine:
    from bot.db import get_engine

    return get_engine(db_url)


def cli_rows(db: Engine) -> list[dict[str, object]]:
    with db.connect() as conn:
        query = text("SELECT actor, data FROM audit_event WHERE kind = 'approval.cli'")
        return [{"actor": a, **json.loads(d)} for a, d in conn.execute(query)]


def test_the_os_user_is_recorded_beside_the_claimed_approver(socbot: Socbot, db: Engine) -> None:
    _, parked = triage_demo_alert(socbot)
    request_id, _ = parked["revoke_sessions"]

    run = socbot("actions", "approve", request_id, "--as", "U0IDADMIN1", "--no-execute")

    assert run.code == 0, run.out
    [row] = cli_rows(db)
    assert row["actor"] == "U0IDADMIN1" and row["as"] == "U0IDADMIN1"
    assert row["os_user"] == getpass.getuser() and row["request_id"] == request_id
    assert row["verb"] == "approve" and row["host"]


def test_cli_verdicts_can_be_turned_off(
    socbot: Socbot, db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, parked = triage_demo_alert(socbot)
    request_id, _ = parked["revoke_sessions"]
    monkeypatch.setenv("SOCBOT_CLI_APPROVALS", "false")
    get_settings.cache_clear()

    for verb in ("approve", "reject", "withdraw"):
        run = socbot("actions", verb, request_id, "--as", "U0IDADMIN1")
        assert run.code == 2 and "turned off" in run.out, verb

    assert cli_rows(db) == []
    with db.connect() as conn:
        status = conn.execute(
            text("SELECT status FROM action_request WHERE id = :i"), {"i": request_id}
        ).scalar_one()
        granted = conn.execute(
            text("SELECT count(*) FROM audit_event WHERE kind LIKE 'approval.%'")
        ).scalar_one()
    assert status == "pending" and granted == 0
