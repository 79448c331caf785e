"""A child process that takes triage work and dies with it, for the crash recovery tests.

python tests/support/crash.py claim-and-die DATABASE_URL POLICY
    Claims the next due triage group as a queue worker, starts its triage task and issues the
    task a credential, prints {"group_id", "worker", "task_id", "credential_id"} as one JSON
    line, then kills itself with SIGKILL: nothing of it gets to clean up.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from bot.alerts.triage.queue import worker_name
from bot.alerts.triage.worker import default_queue
from tests.support.kill import LIMITS, runtime_on, say


def claim_and_die(database_url: str, policy_path: str) -> None:
    runtime = runtime_on(database_url, policy_path)
    worker = worker_name()
    claim = default_queue(runtime).claim(worker)
    assert claim is not None, "nothing to claim"
    with (
        runtime.tasks.run("triage", "alert:doomed", LIMITS) as task,
        runtime.broker.issue(task.id, "get_identity", frozenset({"directory:read"}), 300) as cred,
    ):
        say(
            {
                "group_id": claim.group_id,
                "worker": worker,
                "task_id": task.id,
                "credential_id": cred.credential_id,
            }
        )
        os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(30)  # never reached


if __name__ == "__main__":
    if sys.argv[1:2] != ["claim-and-die"] or len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    claim_and_die(sys.argv[2], sys.argv[3])
