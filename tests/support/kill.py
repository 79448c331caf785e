"""Child processes for tests that need a second process on the same database.

python tests/support/kill.py issue-and-die DATABASE_URL
    Starts a task, issues a credential, prints {"task_id", "credential_id"} as one JSON
    line, then kills itself with SIGKILL mid-task: nothing of it gets to clean up.

python tests/support/kill.py approve-and-execute DATABASE_URL POLICY REQUEST APPROVER GO
    Prints "ready", waits for the file GO to exist (so racers start together), approves
    REQUEST as APPROVER, then tries to execute it. Prints {"counted", "status", "error"}.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

from bot.config import Settings
from bot.errors import ApprovalError
from bot.runtime import Runtime
from bot.tasks.runner import TaskLimits

LIMITS = TaskLimits(model_turns=5, tool_calls=5, tokens=10_000, seconds=120)


def runtime_on(database_url: str, policy_path: str = "policy.yaml") -> Runtime:
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        policy_path=Path(policy_path),
        openai_api_key=None,
    )
    return Runtime(settings)


def say(value: object) -> None:
    print(value if isinstance(value, str) else json.dumps(value), flush=True)


def issue_and_die(database_url: str) -> None:
    runtime = runtime_on(database_url)
    with (
        runtime.tasks.run("triage", "alert:doomed", LIMITS) as task,
        runtime.broker.issue(task.id, "get_identity", frozenset({"directory:read"}), 300) as cred,
    ):
        say({"task_id": task.id, "credential_id": cred.credential_id})
        os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(30)  # never reached: the signal ends the process first


def approve_and_execute(
    database_url: str, policy_path: str, request_id: str, approver: str, go_file: str
) -> None:
    runtime = runtime_on(database_url, policy_path)
    runtime.approvals.get(request_id)  # connect and load everything before the start line
    say("ready")
    while not Path(go_file).exists():
        time.sleep(0.002)
    counted = runtime.approvals.decide(request_id, approver, "approve").counted
    try:
        outcome = runtime.executor.execute_approved(request_id, actor=approver, limits=LIMITS)
    except ApprovalError as exc:
        say({"counted": counted, "status": None, "error": str(exc)})
        return
    say({"counted": counted, "status": outcome.status, "error": None})


def main(argv: list[str]) -> int:
    if argv[:1] == ["issue-and-die"] and len(argv) == 2:
        issue_and_die(argv[1])
    elif argv[:1] == ["approve-and-execute"] and len(argv) == 6:
        approve_and_execute(*argv[1:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
