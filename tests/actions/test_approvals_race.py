"""An approved action runs exactly once, however many approvers and executors race for it:
threads in one process, and on PostgreSQL separate processes on the same database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bot.actions.approvals import EXECUTED
from bot.errors import ApprovalError
from bot.executor.dispatch import ToolOutcome
from bot.runtime import Runtime
from tests.support.approvals import about, audit_rows, execute, park_revoke_sessions, tool_runs

MakeRuntime = Callable[..., Runtime]
REPO_ROOT = Path(__file__).resolve().parents[2]
HELPER = Path(__file__).resolve().parents[1] / "support" / "kill.py"


def race(*jobs: Callable[[], Any]) -> list[Any]:
    """Start every job at the same moment in its own thread; each result or the exception."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int, job: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = job()
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def assert_ran_once(runtime: Runtime, *request_ids: str) -> None:
    for request_id in request_ids:
        assert runtime.approvals.get(request_id).status == EXECUTED
        assert len(about(audit_rows(runtime, "action.executed"), request_id)) == 1
    assert tool_runs(runtime, "revoke_sessions") == len(request_ids)


def test_executors_racing_for_one_approved_action_run_it_once(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    executors = ("U0IDADMIN1", "U0IDADMIN2", "U0IDADMIN3", "U0CLOUDADM1")
    request_ids = [park_revoke_sessions(runtime, who) for who in ("p-maria-chen", "p-tom-becker")]
    for request_id in request_ids:
        assert runtime.approvals.decide(request_id, "U0IDADMIN2", "approve").ready_to_execute

        results = race(*(partial(execute, runtime, request_id, actor) for actor in executors))

        ran = [r for r in results if isinstance(r, ToolOutcome)]
        refused = [r for r in results if isinstance(r, ApprovalError)]
        assert [r.status for r in ran] == ["ok"], results
        assert len(refused) == len(executors) - 1, results
    assert_ran_once(runtime, *request_ids)


def approve_then_execute(runtime: Runtime, request_id: str, approver: str) -> str:
    counted = runtime.approvals.decide(request_id, approver, "approve").counted
    try:
        return f"counted={counted} ran={execute(runtime, request_id, approver).status}"
    except ApprovalError:
        return f"counted={counted} refused"


def test_two_approvers_approving_and_executing_at_once_run_it_once(
    make_runtime: MakeRuntime,
) -> None:
    runtime = make_runtime()
    request_id = park_revoke_sessions(runtime)

    results = race(
        lambda: approve_then_execute(runtime, request_id, "U0IDADMIN2"),
        lambda: approve_then_execute(runtime, request_id, "U0IDADMIN3"),
    )

    assert sum("ran=ok" in r for r in results) == 1, results
    # Quorum 1: the second verdict arrives after the first approved it, so it is not counted.
    assert sum("counted=True" in r for r in results) == 1, results
    assert_ran_once(runtime, request_id)


def start_racer(db_url: str, policy: Path, request_id: str, approver: str, go: Path) -> Any:
    command = [sys.executable, str(HELPER), "approve-and-execute"]
    command += [db_url, str(policy), request_id, approver, str(go)]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    racer = subprocess.Popen(
        command, cwd=go.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert racer.stdout is not None
    first = racer.stdout.readline().strip()
    assert first == "ready", first + racer.communicate(timeout=30)[1]
    return racer


@pytest.mark.skipif(
    os.environ.get("SOCBOT_TEST_DB", "sqlite") != "postgres",
    reason="on SQLite, threads already race on separate connections to the one file lock",
)
def test_approvers_in_two_processes_run_the_action_once(
    make_runtime: MakeRuntime, db_url: str, tmp_path: Path
) -> None:
    runtime = make_runtime()
    request_id = park_revoke_sessions(runtime)
    go = tmp_path / "go"
    policy = runtime.settings.policy_path
    racers = [
        start_racer(db_url, policy, request_id, approver, go)
        for approver in ("U0IDADMIN2", "U0IDADMIN3")
    ]

    go.touch()
    answers = []
    for racer in racers:
        out, err = racer.communicate(timeout=60)
        assert racer.returncode == 0, err
        answers.append(json.loads(out.strip().splitlines()[-1]))

    assert [a["status"] for a in answers].count("ok") == 1, answers
    assert [a["counted"] for a in answers].count(True) == 1, answers
    assert_ran_once(runtime, request_id)
