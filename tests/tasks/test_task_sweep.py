"""After kill -9 a task row no longer stays `running` for ever: the sweeper marks it
abandoned, on record, and leaves live tasks alone."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from bot.clock import utcnow
from bot.runtime import Runtime
from tests.tasks.test_credentials_sweep import kill_a_task_holding_a_credential

MakeRuntime = Callable[..., Runtime]


def task_row(runtime: Runtime, task_id: str) -> tuple[str, object]:
    with runtime.engine.connect() as conn:
        query = text("SELECT status, ended_at FROM task WHERE id = :i")
        row = conn.execute(query, {"i": task_id}).one()
        return str(row[0]), row[1]


def task_ends(runtime: Runtime, task_id: str) -> list[dict[str, object]]:
    with runtime.engine.connect() as conn:
        query = text("SELECT data FROM audit_event WHERE kind = 'task.end' AND task_id = :i")
        return [json.loads(row[0]) for row in conn.execute(query, {"i": task_id})]


def test_a_killed_task_is_marked_abandoned_and_a_live_one_is_not(
    make_runtime: MakeRuntime, db_url: str, tmp_path: Path
) -> None:
    runtime = make_runtime(seed=False)
    broker = runtime.broker
    orphan = kill_a_task_holding_a_credential(db_url, tmp_path)
    assert task_row(runtime, orphan["task_id"])[0] == "running"

    with runtime.tasks.run("triage", "alert:test", runtime.task_limits()) as live:
        broker.sweep()
        assert task_row(runtime, live.id) == ("running", None)

    status, ended_at = task_row(runtime, orphan["task_id"])
    assert status == "abandoned" and ended_at is not None
    [end] = task_ends(runtime, orphan["task_id"])
    assert end["status"] == "abandoned" and end["reason"] == "its process is gone"
    broker.sweep()  # a second sweep finds nothing more to do
    assert len(task_ends(runtime, orphan["task_id"])) == 1


def test_a_task_long_past_its_deadline_is_abandoned_wherever_it_ran(
    make_runtime: MakeRuntime,
) -> None:
    runtime = make_runtime(seed=False)
    long_ago = utcnow() - timedelta(hours=2)
    with runtime.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO task (id, kind, actor, status, started_at, deadline_at, "
                "owner_host, owner_pid) VALUES ('task_elsewhere', 'triage', 'alert:x', "
                "'running', :t, :t, 'another-host', 1)"
            ),
            {"t": long_ago},
        )
    runtime.broker.sweep()
    assert task_row(runtime, "task_elsewhere")[0] == "abandoned"
