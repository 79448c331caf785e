"""The audit log: chained appends, redaction before storage, append-only triggers, fail closed."""

from __future__ import annotations

import itertools
import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from bot.audit.event import AUDIT_TABLE, event_hash, to_event
from bot.audit.log import (
    GENESIS_HASH,
    AuditLog,
    EventKind,
    install_append_only_triggers,
    verify,
)
from bot.clock import as_utc
from bot.db import is_postgres, make_engine, session_scope
from bot.errors import AuditWriteError
from bot.redaction import Redactor, default_redactor


def stored_rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(AUDIT_TABLE).order_by(AUDIT_TABLE.c.seq)).mappings().all()
    return [dict(row) for row in rows]


def raw_table_text(engine: Engine) -> str:
    """Every stored byte of the table as the database hands it back, untyped."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM audit_event")).all()
    return repr(rows)


def record_mixed(log: AuditLog, count: int) -> None:
    kinds = list(EventKind)
    for index in range(count):
        kind = kinds[index % len(kinds)]
        log.record(
            kind,
            task_id=f"task-{index % 7}" if index % 5 else None,
            actor="U0ANALYST" if index % 3 == 0 else "socbot",
            tool="get_identity" if index % 2 else None,
            data={"index": index, "note": f"step {index}", "nested": {"list": [index, "x"]}},
            policy_version=secrets.token_hex(32) if index % 4 == 0 else None,
            prompt_hash=secrets.token_hex(32) if kind == EventKind.PROMPT else None,
            tool_hash=secrets.token_hex(32) if kind == EventKind.TOOL_CALL else None,
        )


def test_chain_of_mixed_events_verifies(engine: Engine) -> None:
    log = AuditLog(engine, Redactor())
    record_mixed(log, 300)
    report = verify(engine, batch_size=64)
    rows = stored_rows(engine)
    assert report.ok, report.reason
    assert (report.events_checked, report.head_seq) == (300, 300)
    assert report.head_hash == rows[-1]["hash"]
    assert [row["seq"] for row in rows] == list(range(1, 301))
    assert rows[0]["prev_hash"] == GENESIS_HASH
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in itertools.pairwise(rows))


def test_record_returns_the_event_as_stored(engine: Engine) -> None:
    log = AuditLog(engine, Redactor())
    first = log.record(EventKind.TASK_START, task_id="t-1", actor="U0ANALYST", data={"a": 1})
    second = log.record(EventKind.TOOL_CALL, task_id="t-1", tool="list_sessions", data={})
    row = stored_rows(engine)[1]
    assert second.seq == 2 and second.prev_hash == first.hash
    assert second.ts.tzinfo is not None and second.ts.utcoffset() == timedelta(0)
    assert as_utc(row["ts"]) == second.ts
    assert row["hash"] == second.hash == event_hash({**row, "ts": as_utc(row["ts"])})
    assert (row["kind"], row["tool"], row["task_id"]) == ("tool.call", "list_sessions", "t-1")


def test_secrets_in_data_never_reach_the_row(engine: Engine) -> None:
    redactor = Redactor()
    issued = "scb_" + secrets.token_urlsafe(32)
    registered = secrets.token_urlsafe(24)
    redactor.add_secret(registered, label="lab_key")
    slack_token = f"xoxb-{secrets.randbelow(10**12)}-{secrets.token_hex(12)}"
    log = AuditLog(engine, redactor)
    event = log.record(
        EventKind.TOOL_RESULT,
        task_id="t-secret",
        data={
            "output": f"token {issued} and {slack_token}",
            "keys": [{"secret": registered}],
            registered: "used as a key",
            "password": "hunter2hunter2",
        },
    )
    row_text = raw_table_text(engine)
    for secret in (issued, registered, slack_token, "hunter2hunter2"):
        assert secret not in row_text
        assert secret not in event.data
    data = json.loads(event.data)
    assert data["output"] == "token [REDACTED:socbot_credential] and [REDACTED:slack_token]"
    assert data["[REDACTED:lab_key]"] == "used as a key"
    assert verify(engine).ok


def test_audit_log_shares_the_default_redactor(engine: Engine) -> None:
    secret = secrets.token_urlsafe(24)
    default_redactor().add_secret(secret)
    event = AuditLog(engine).record(EventKind.CREDENTIAL_ISSUED, data={"leak": secret})
    assert secret not in event.data


def test_update_and_delete_are_refused_by_the_database(engine: Engine) -> None:
    record_mixed(AuditLog(engine, Redactor()), 5)
    before = stored_rows(engine)
    refused = [
        "UPDATE audit_event SET data = '{}' WHERE seq = 2",
        "DELETE FROM audit_event WHERE seq = 5",
        "DELETE FROM audit_event",
    ]
    if is_postgres(engine):
        refused.append("TRUNCATE audit_event")
    for statement in refused:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert stored_rows(engine) == before


def test_triggers_install_again_without_harm(engine: Engine) -> None:
    install_append_only_triggers(engine)
    with engine.begin() as conn:
        install_append_only_triggers(conn)
    AuditLog(engine, Redactor()).record(EventKind.ERROR, data={"message": "x"})
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event"))


def test_unknown_kind_fails_closed_and_writes_nothing(engine: Engine) -> None:
    with pytest.raises(AuditWriteError, match=r"tool\.cal"):
        AuditLog(engine, Redactor()).record("tool.cal")
    assert stored_rows(engine) == []


def test_unserialisable_data_fails_closed(engine: Engine) -> None:
    with pytest.raises(AuditWriteError, match="stopped"):
        AuditLog(engine, Redactor()).record(EventKind.ERROR, data={"bad": object()})
    assert stored_rows(engine) == []


def test_missing_table_raises_audit_write_error(engine: Engine) -> None:
    log = AuditLog(engine, Redactor())
    log.record(EventKind.TASK_START)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE audit_event"))
    with pytest.raises(AuditWriteError, match="schema is current"):
        log.record(EventKind.TASK_END)


def test_unreachable_database_raises_audit_write_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'audit.db'}")
    with pytest.raises(AuditWriteError, match="reachable"):
        AuditLog(engine, Redactor()).record(EventKind.TASK_START)
    engine.dispose()


def test_write_after_a_failed_write_continues_the_chain(engine: Engine) -> None:
    log = AuditLog(engine, Redactor())
    log.record(EventKind.TASK_START)
    with pytest.raises(AuditWriteError):
        log.record(EventKind.ERROR, data={"bad": object()})
    log.record(EventKind.TASK_END)
    report = verify(engine)
    assert report.ok and report.head_seq == 2


def test_two_logs_on_one_database_share_one_chain(engine: Engine) -> None:
    first, second = AuditLog(engine, Redactor()), AuditLog(engine, Redactor())
    for index in range(10):
        (first if index % 3 else second).record(EventKind.TOOL_CALL, data={"i": index})
    report = verify(engine)
    assert report.ok and report.head_seq == 10
    assert [row["seq"] for row in stored_rows(engine)] == list(range(1, 11))


def test_record_in_a_session_commits_or_rolls_back_with_it(engine: Engine) -> None:
    log = AuditLog(engine, Redactor())
    log.record(EventKind.TASK_START)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        log.record(EventKind.ACTION_EXECUTED, data={"kept": False}, session=session)
        raise RuntimeError("the change failed, so its record goes too")
    assert [row["seq"] for row in stored_rows(engine)] == [1]
    # The log's last row was rolled back: the next append must follow the real head.
    log.record(EventKind.ACTION_FAILED, data={"kept": True})
    with session_scope(engine) as session:
        log.record(EventKind.ACTION_EXECUTED, data={"kept": True}, session=session)
    log.record(EventKind.TASK_END, data={"kept": True})
    rows = stored_rows(engine)
    assert [row["seq"] for row in rows] == [1, 2, 3, 4]
    assert all(json.loads(row["data"])["kept"] for row in rows[1:])
    report = verify(engine)
    assert report.ok and report.head_seq == 4, report.reason
    log.close()


def test_unreachable_postgres_raises_audit_write_error() -> None:
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/socbot?connect_timeout=5")
    log = AuditLog(engine, Redactor())
    for kind in (EventKind.TASK_START, EventKind.TASK_END):  # before and after a first failure
        with pytest.raises(AuditWriteError, match="reachable"):
            log.record(kind)
    log.close()
    engine.dispose()


def test_returned_event_is_the_stored_row_as_a_full_audit_event(engine: Engine) -> None:
    log = AuditLog(engine, Redactor())
    event = log.record(EventKind.TOOL_CALL, task_id="t-1", tool="get_identity", data={"a": 1})
    row = stored_rows(engine)[0]
    built = to_event({**row, "ts": as_utc(row["ts"])})
    assert event == built
    assert event.model_dump() == built.model_dump()
    assert event.model_fields_set == built.model_fields_set == set(built.model_dump())
    assert inspect(event).transient  # a mapped instance, in no session
    log.close()


def test_every_append_path_stores_times_that_sort_in_time_order(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A whole second, then a fraction past it: stored as text on SQLite, both must sort right
    # whichever append path (first write of the process, or the one-statement path) wrote them.
    whole = datetime(2026, 11, 16, 9, 0, 0, tzinfo=UTC)
    times = iter([whole, whole + timedelta(microseconds=5), whole + timedelta(seconds=1)])
    monkeypatch.setattr("bot.audit.log.utcnow", lambda: next(times))
    log = AuditLog(engine, Redactor())
    for number in range(3):
        log.record("error", actor="test", data={"n": number})
    with engine.connect() as conn:
        by_time = conn.execute(text("SELECT seq FROM audit_event ORDER BY ts")).scalars().all()
        from_last = (
            conn.execute(
                select(AUDIT_TABLE.c.seq).where(AUDIT_TABLE.c.ts >= whole + timedelta(seconds=1))
            )
            .scalars()
            .all()
        )
    assert by_time == [1, 2, 3] and from_last == [3]
    assert [as_utc(row["ts"]) for row in stored_rows(engine)] == [
        whole,
        whole + timedelta(microseconds=5),
        whole + timedelta(seconds=1),
    ]
