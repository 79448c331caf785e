"""The sweeper: credentials whose task's process died or whose ttl passed are revoked, live
ones of running tasks are left alone, and `socbot credentials list|sweep` report it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import utcnow
from bot.runtime import Runtime
from bot.tasks.runner import TaskLimits
from tests.support.approvals import audit_rows
from tools.base import PresentedCredential

MakeRuntime = Callable[..., Runtime]
REPO_ROOT = Path(__file__).resolve().parents[2]
HELPER = Path(__file__).resolve().parents[1] / "support" / "kill.py"
READ = frozenset({"directory:read"})
LIMITS = TaskLimits(model_turns=5, tool_calls=5, tokens=10_000, seconds=120)


@contextmanager
def open_credentials(
    runtime: Runtime, *ttls: int, limits: TaskLimits = LIMITS
) -> Iterator[list[PresentedCredential]]:
    """A running task of this process holding one live credential per ttl."""
    with runtime.tasks.run("thread", "U0A", limits) as task, ExitStack() as calls:
        yield [
            calls.enter_context(runtime.broker.issue(task.id, "get_identity", READ, ttl))
            for ttl in ttls
        ]


def kill_a_task_holding_a_credential(db_url: str, cwd: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    child = subprocess.run(
        [sys.executable, str(HELPER), "issue-and-die", db_url],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    return dict(json.loads(child.stdout.strip().splitlines()[-1]))


def test_a_credential_of_a_killed_process_is_swept(
    make_runtime: MakeRuntime, db_url: str, tmp_path: Path
) -> None:
    runtime = make_runtime(seed=False)
    broker = runtime.broker  # its start-up sweep is over before the child starts
    orphan = kill_a_task_holding_a_credential(db_url, tmp_path)
    orphan_id = orphan["credential_id"]
    assert runtime.provider.credential_accepted_by_id(orphan_id), "the child revoked it itself"

    with open_credentials(runtime, 300) as [ours]:
        report = broker.sweep()
        assert runtime.provider.credential_accepted_by_id(ours.credential_id)

    assert [r.credential_id for r in report.revoked] == [orphan_id]
    assert report.revoked[0].verified
    [record] = runtime.broker.credentials(task_id=orphan["task_id"])
    assert record.revoke_reason == "task's process is gone"
    assert record.revoked_at is not None and record.revoke_verified is True
    assert not runtime.provider.credential_accepted_by_id(orphan_id)
    assert runtime.broker.sweep().revoked == []


def test_a_credential_past_its_ttl_is_swept_while_its_task_runs(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(seed=False)
    with open_credentials(runtime, 1, 300) as [short, long]:
        report = runtime.broker.sweep(utcnow() + timedelta(seconds=2))

        assert [r.credential_id for r in report.revoked] == [short.credential_id]
        assert not runtime.provider.credential_accepted_by_id(short.credential_id)
        assert runtime.provider.credential_accepted_by_id(long.credential_id)
        revoked = {
            r["data"]["credential_id"]: r["data"]["reason"]
            for r in audit_rows(runtime, "credential.revoked")
        }
        assert revoked == {short.credential_id: "ttl passed"}


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_the_credentials_command_lists_and_sweeps(
    make_runtime: MakeRuntime, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime = make_runtime(seed=False)
    database = ("--database", db_url)
    with open_credentials(runtime, 60) as [done]:
        pass
    overdue = TaskLimits(model_turns=5, tool_calls=5, tokens=10_000, seconds=0.001)
    with open_credentials(runtime, 300) as [live]:
        code, listing = run_cli(capsys, "credentials", "list", "--live", *database)
        assert code == 0 and live.credential_id in listing and "LIVE" in listing
        assert done.credential_id not in listing
        with open_credentials(runtime, 300, limits=overdue) as [stale]:
            code, swept = run_cli(capsys, "credentials", "sweep", *database)
        assert runtime.provider.credential_accepted_by_id(live.credential_id)

    assert code == 0
    assert "examined 2 live credentials; revoked 1" in swept
    assert f"{stale.credential_id}  verified=True" in swept
    assert live.credential_id not in swept
    code, listing = run_cli(capsys, "credentials", "list", *database)
    assert code == 0 and "LIVE" not in listing and listing.count("revoked") == 3
    assert all(c.secret not in listing + swept for c in (done, live, stale))
    code, listing = run_cli(capsys, "credentials", "list", "--live", *database)
    assert "(none)" in listing
