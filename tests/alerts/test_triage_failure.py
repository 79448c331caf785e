"""A triage that fails after its model parked an action: the queue retries it, and what the
failed attempt parked is withdrawn, so no pending request is left without an approval card."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import bot.alerts.triage.run
import bot.demo_alerts
from bot.alerts.intake.pipeline import Intake
from bot.alerts.triage.worker import TriageWorker, WorkDone
from tests.alerts.intake_helpers import MakeRuntime, RecordingPublisher, audit_data, rows
from tests.support.fakes import ScriptedModel

DEMO = Path(bot.demo_alerts.__file__).parent
MFA_FATIGUE = json.loads((DEMO / "01-okta-mfa-push-fatigue.json").read_text("utf-8"))
SUSPEND = (
    "suspend_identity",
    json.dumps(
        {"identity": "p-maria-chen", "reason": "Twelve denied pushes, then a Tor sign-in: contain."}
    ),
)
VERDICT = {
    "verdict": "malicious",
    "severity": "high",
    "confidence": 0.9,
    "summary": "Push fatigue, then a Tor sign-in.",
    "evidence": ["alert.source_ip"],
}
FINAL = f"Contain it.\n```json\n{json.dumps(VERDICT)}\n```"


def test_a_failed_attempt_withdraws_what_it_parked(
    make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = ScriptedModel([[SUSPEND], FINAL, [SUSPEND], FINAL])
    runtime = make_runtime(model=model)
    real_cite = bot.alerts.triage.run.cite_alert_fields
    calls: list[int] = []

    def cite_fails_once(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away mid-triage")
        return real_cite(*args)

    monkeypatch.setattr(bot.alerts.triage.run, "cite_alert_fields", cite_fails_once)
    outcome = Intake(runtime).accept(json.dumps(MFA_FATIGUE), source="okta", via="webhook")
    worker = TriageWorker(runtime, RecordingPublisher())

    def attempt() -> WorkDone:
        claim = worker.queue.claim(worker.name, group_id=outcome.group_id)
        assert claim is not None
        return worker.work_on(claim)

    first, second = attempt(), attempt()

    assert (first.status, second.status) == ("queued", "done"), (first, second)
    assert second.result is not None
    posted = {a.request_id for a in second.result.actions if a.status == "awaiting_approval"}
    pending = {
        r.id for r in rows(runtime.engine, "SELECT id FROM action_request WHERE status = 'pending'")
    }
    assert pending == posted and len(pending) == 1
    [withdrawn] = audit_data(runtime.engine, "action.withdrawn")
    assert "RuntimeError" in withdrawn["reason"] and withdrawn["request_id"] not in pending
