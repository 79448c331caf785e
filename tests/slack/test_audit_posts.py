"""Signed audit checkpoints posted to Slack (the channel's history is a checkpoint file), and a
forged audit row raised in the approvals channel when the next checkpoint refuses it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from bot.audit.keys import AuditKey
from bot.audit.seals import verify_against_checkpoints
from bot.audit.signed_head import Checkpoint
from tests.support.slack import ServedSlack
from tests.support.slack_standin import SlackStandIn
from tests.support.tamper_attacks import forge_insert

CHECKPOINTS = "C0AUDITLOG"
APPROVALS = "C0APPROVALS"


def posted_checkpoints(standin: SlackStandIn) -> list[Checkpoint]:
    texts = [m["text"] for m in standin.messages(CHECKPOINTS)]
    return [Checkpoint.from_json(re.findall(r"```(.*)```", t)[0]) for t in texts]


def test_checkpoints_are_posted_and_a_forgery_raises_an_alarm(
    slack_app: Callable[..., ServedSlack], slack_standin: SlackStandIn, tmp_path: Path
) -> None:
    key = AuditKey.generate(tmp_path / "audit.pem")
    served = slack_app(
        seed=False,
        audit_key_file=tmp_path / "audit.pem",
        audit_checkpoint_events=3,
        audit_checkpoint_channel=CHECKPOINTS,
        slack_approvals_channel=APPROVALS,
    )
    audit = served.runtime.audit
    for i in range(6):
        audit.record("task.start", task_id="task_slack", data={"i": i})
    checkpoints = posted_checkpoints(slack_standin)
    assert [c.seq for c in checkpoints] == [3, 6]
    report = verify_against_checkpoints(served.runtime.engine, key, key, checkpoints)
    assert report.ok, report.reason

    forged = forge_insert(served.runtime.engine)
    for i in range(3):
        audit.record("task.start", task_id="task_slack", data={"after": i})
    [alarm] = slack_standin.messages(APPROVALS)
    assert "tampered" in alarm["text"] and f"seq {forged}" in alarm["text"]
    assert [c.seq for c in posted_checkpoints(slack_standin)] == [3, 6]
