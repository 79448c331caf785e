"""Work held by a process killed with SIGKILL is taken back at once when its owner is provably
dead (same host: pid gone or a zombie; another host: a stale heartbeat), not after its lease:
its triage group is triaged by the next worker round, its task ends as abandoned with a
task.end audit row, and its credential is revoked, also by a start-up sweep."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.alerts.intake.pipeline import Intake
from bot.alerts.triage.worker import TriageWorker
from bot.clock import utcnow
from bot.db import session_scope
from bot.runtime import Runtime
from bot.tasks.heartbeat import ProcessHeartbeat
from bot.tasks.records import TaskRecord
from bot.tasks.recovery import ABANDONED, recover
from tests.alerts.deadline_helpers import MFA_FATIGUE
from tests.alerts.intake_helpers import MakeRuntime

REPO_ROOT = Path(__file__).resolve().parents[2]
HELPER = REPO_ROOT / "tests" / "support" / "crash.py"
PROMPT_SECONDS = 20.0  # far below the lease (over 400 s) a dead worker's group used to wait


def proc_state(pid: int) -> str:
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rfind(")") + 2 :].split()[0]


@pytest.fixture
def runtime(make_runtime: MakeRuntime) -> Runtime:
    built: Runtime = make_runtime()
    outcome = Intake(built).accept(MFA_FATIGUE, source="okta", via="webhook")
    assert outcome.status == "accepted"
    return built


@pytest.fixture
def killed(runtime: Runtime, request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """A child that claimed the group and died; reaped (gone) or left a zombie, as asked."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    settings = runtime.settings
    child = subprocess.Popen(
        [
            sys.executable,
            str(HELPER),
            "claim-and-die",
            settings.database_url,
            str(settings.policy_path),
        ],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    held = dict(json.loads(child.stdout.readline()))
    if request.param == "gone":
        child.wait(30)
    else:
        deadline = time.monotonic() + 10
        while proc_state(child.pid) != "Z":  # killed, not yet reaped by us
            assert time.monotonic() < deadline, "the child did not die"
            time.sleep(0.01)
    try:
        yield held
    finally:
        child.wait(30)


def task_row(runtime: Runtime, task_id: str) -> TaskRecord:
    with session_scope(runtime.engine) as session:
        row = session.get(TaskRecord, task_id)
    assert row is not None
    return row


def assert_abandoned_and_revoked(runtime: Runtime, held: dict[str, Any]) -> None:
    task = task_row(runtime, held["task_id"])
    assert (task.status, task.ended_at is not None) == (ABANDONED, True)
    with runtime.engine.connect() as conn:
        ends = (
            conn.execute(
                text("SELECT data FROM audit_event WHERE kind = 'task.end' AND task_id = :t"),
                {"t": held["task_id"]},
            )
            .scalars()
            .all()
        )
    assert [json.loads(data)["status"] for data in ends] == [ABANDONED]
    [credential] = runtime.broker.credentials(task_id=held["task_id"])
    assert credential.revoked_at is not None
    assert not runtime.provider.credential_accepted_by_id(held["credential_id"])


@pytest.mark.parametrize("killed", ["gone", "zombie"], indirect=True)
def test_a_killed_workers_group_is_triaged_by_the_next_round(
    runtime: Runtime, killed: dict[str, Any]
) -> None:
    started = time.monotonic()
    done = TriageWorker(runtime).run_once()

    assert time.monotonic() - started < PROMPT_SECONDS
    assert done is not None and (done.group_id, done.status) == (killed["group_id"], "done")
    assert_abandoned_and_revoked(runtime, killed)


@pytest.mark.parametrize("killed", ["zombie"], indirect=True)
def test_the_start_up_sweep_ends_a_dead_processs_tasks_and_revokes_their_credentials(
    runtime: Runtime, killed: dict[str, Any]
) -> None:
    restarted = Runtime(runtime.settings)
    assert restarted.startup_sweep is None
    _ = restarted.broker  # start-up: recovery, then the sweep
    assert_abandoned_and_revoked(restarted, killed)


@pytest.mark.parametrize(("beat_seconds_ago", "reclaimed"), [(600, True), (2, False)])
def test_work_of_a_process_on_another_host_is_reclaimed_by_its_heartbeat(
    runtime: Runtime, beat_seconds_ago: int, reclaimed: bool
) -> None:
    broker = runtime.broker  # started up before the other host's work appears
    now = utcnow()
    with session_scope(runtime.engine) as session:
        session.add(
            TaskRecord(
                id="task_elsewhere",
                kind="triage",
                actor="alert:okta",
                started_at=now - timedelta(minutes=20),
                deadline_at=now + timedelta(hours=1),
                owner_host="another-host.example",
                owner_pid=4242,
            )
        )
        session.add(
            ProcessHeartbeat(
                host="another-host.example",
                pid=4242,
                incarnation="deadbeef",
                started_at=now - timedelta(hours=1),
                beat_at=now - timedelta(seconds=beat_seconds_ago),
            )
        )
        session.execute(
            text("UPDATE triage_group SET status = 'running', worker = :w, next_attempt_at = :n"),
            {"w": "another-host.example:4242:deadbeef.abc123", "n": now + timedelta(minutes=7)},
        )

    report = recover(runtime.engine, runtime.audit, broker)

    assert (report.tasks == ["task_elsewhere"]) is reclaimed
    assert bool(report.groups) is reclaimed
    assert task_row(runtime, "task_elsewhere").status == (ABANDONED if reclaimed else "running")
