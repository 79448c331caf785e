"""A queued group triaged for real: the model sees the normalized fields and the compacted
event (never the raw JSON), once per group however many alerts it holds, and the result is
audited as triage.result with its actions and the alert fields its evidence rests on."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import bot.alerts.intake.storm
import bot.demo_alerts
from bot.alerts.intake.pipeline import Intake
from bot.alerts.triage.run import triage_alert
from bot.alerts.triage.worker import TriageWorker
from bot.runtime import Runtime
from tests.alerts.intake_helpers import (
    MakeRuntime,
    RecordingPublisher,
    acme,
    acme_event,
    audit_data,
    rows,
)
from tests.support.fakes import ScriptedModel

__all__ = ["acme"]
DEMO = Path(bot.demo_alerts.__file__).parent
MFA_FATIGUE = json.loads((DEMO / "01-okta-mfa-push-fatigue.json").read_text("utf-8"))
RESULT_KEYS = {
    "group_id",
    "alert_ids",
    "verdict",
    "severity",
    "confidence",
    "engine",
    "fell_back",
    "actions_requested",
    "recommendations",
}
VERDICT = {
    "verdict": "suspicious",
    "severity": "medium",
    "confidence": 0.6,
    "summary": "Many failed sign-ins across accounts.",
    "evidence": [
        "alert.event_type",
        "the source IP 185.220.101.34 is a Tor exit",
        "tool.recent_auth_events.summary",
    ],
}


def final(verdict: dict[str, Any]) -> str:
    return f"Done.\n```json\n{json.dumps(verdict)}\n```"


def triage_queued(runtime: Runtime, publisher: RecordingPublisher | None = None) -> Any:
    work = TriageWorker(runtime, publisher or RecordingPublisher()).run_once()
    assert work is not None and work.result is not None, work
    return work


def test_an_okta_alert_is_triaged_from_the_queue_and_audited(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    outcome = Intake(runtime).accept(json.dumps(MFA_FATIGUE), source="okta", via="webhook")
    assert outcome.status == "accepted"
    work = triage_queued(runtime)
    result = work.result
    assert (result.verdict, result.engine) == ("malicious", "offline")
    assert {"alert.event_type", "alert.source_ip"} <= set(result.alert_fields)
    assert any("[alert.source_ip]" in entry for entry in result.evidence)
    (audited,) = audit_data(runtime.engine, "triage.result")
    assert set(audited) >= RESULT_KEYS
    assert (audited["group_id"], audited["alert_ids"]) == (outcome.group_id, [outcome.alert_id])
    parked = rows(runtime.engine, "SELECT id FROM action_request WHERE status = 'pending'")
    assert sorted(audited["actions_requested"]) == sorted(row.id for row in parked)
    assert audited["recommendations"] == ["reset_mfa"]
    task = rows(runtime.engine, "SELECT kind, actor FROM task WHERE id = :t", t=result.task_id)
    assert [tuple(row) for row in task] == [("triage", "alert:okta")]


def test_the_model_sees_normalized_fields_and_compacted_event_not_raw_json(
    make_runtime: MakeRuntime,
) -> None:
    model = ScriptedModel([final(VERDICT)])
    runtime = make_runtime(model=model)
    Intake(runtime).accept(json.dumps(MFA_FATIGUE), source="okta")
    result = triage_queued(runtime).result
    (user,) = model.requests[0].texts("user")
    assert "normalized:\nsource: okta\nevent_type: user.mfa.okta_verify.deny_push" in user
    assert "source_ip: 185.220.101.34" in user and "actor: maria.chen@lab.example" in user
    assert "denyCount24h: 12" in user  # from the vendor event, compacted
    assert '"eventType"' not in user and '"debugContext"' not in user  # no raw JSON
    assert result.alert_fields == ["alert.event_type", "alert.source_ip"]
    assert result.evidence == [
        "alert.event_type",  # names its field already
        "the source IP 185.220.101.34 is a Tor exit [alert.source_ip]",
        "tool.recent_auth_events.summary",  # not an alert field
    ]


@pytest.mark.usefixtures("acme")
def test_a_storm_is_triaged_once_from_a_sample_and_its_count(
    make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.alerts.intake.storm, "STORM_SETTLE", timedelta(0))
    model = ScriptedModel([final(VERDICT)])
    runtime = make_runtime(model=model, storm_threshold_per_minute=2)
    intake = Intake(runtime)
    for n in range(30):
        intake.accept(acme_event(f"user{n % 12}@example.org", at=f"2026-11-22T10:00:{n:02d}Z"))
    publisher = RecordingPublisher()
    work = triage_queued(runtime, publisher)
    assert TriageWorker(runtime, publisher).run_once() is None  # one group: nothing left
    assert len(model.requests) == 1 and len(publisher.posts) == 1
    (user,) = model.requests[0].texts("user")
    assert "storm: 12 alerts of type login.failed from acme, 12 distinct" in user
    assert user.count("--- sample alert") == 5
    posted, result = publisher.posts[0]
    assert posted.is_storm and posted.total == 12 and len(posted.alert_ids) == 12
    assert result.task_id == work.result.task_id
    (audited,) = audit_data(runtime.engine, "triage.result")
    assert len(audited["alert_ids"]) == 12 and audited["storm"] is True


def test_triage_of_a_raw_mapping_still_works(make_runtime: MakeRuntime) -> None:
    result = triage_alert(make_runtime(), MFA_FATIGUE)
    assert result.verdict == "malicious" and result.alert_fields == []
