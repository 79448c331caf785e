"""The engine's verdicts rest on what the event did: the type, outcome and fields that make
the difference, with the near miss of each behaviour beside it."""

from __future__ import annotations

from typing import Any

import pytest

from bot.alerts.intake.normalize import normalize_event
from bot.detection.engine import Detection, DetectionEngine
from bot.detection.loader import load_rules
from bot.detection.matcher import compile_selection
from bot.detection.model import Rule
from tests.detection.events import cloudtrail, okta

ENGINE = DetectionEngine(load_rules())


def detect(event: dict[str, Any], source: str | None = None) -> Detection:
    return ENGINE.detect(normalize_event(event, source))


def rule_ids(detection: Detection) -> list[str]:
    return [finding.rule.id for finding in detection.findings]


def test_an_admin_role_grant_is_suspicious_with_its_technique_and_fields() -> None:
    found = detect(okta("user.account.privilege.grant"))
    assert found.verdict == "suspicious" and found.severity == "high"
    assert rule_ids(found) == ["okta.admin-role-granted"]
    [line] = found.evidence()
    assert line.startswith("rule okta.admin-role-granted (")
    assert "ATT&CK T1098.003" in line and "alert.event_type=user.account.privilege.grant" in line
    assert found.playbook == "new_admin"


def test_an_ordinary_sign_in_is_benign_and_says_why() -> None:
    found = detect(okta("user.session.start"))
    assert found.verdict == "benign" and found.findings == []
    assert "no detection rule fired" in found.evidence()[0]


def test_the_outcome_decides_for_a_failed_sign_in() -> None:
    failed = okta("user.session.start", result="FAILURE")
    failed["outcome"]["reason"] = "INVALID_CREDENTIALS"
    assert rule_ids(detect(failed)) == ["okta.sign-in-failed"]
    assert detect(okta("user.session.start")).findings == []


def test_logging_stopped_is_malicious_but_a_refused_attempt_is_not() -> None:
    stopped = detect(cloudtrail("StopLogging", eventSource="cloudtrail.amazonaws.com"))
    assert stopped.verdict == "malicious" and stopped.playbook == "logging_disabled"
    refused = cloudtrail("StopLogging", errorCode="AccessDenied", errorMessage="not allowed")
    assert detect(refused).verdict == "benign"


def test_an_access_key_made_for_someone_else_is_told_apart_from_ones_own() -> None:
    for_other = cloudtrail("CreateAccessKey", requestParameters={"userName": "dev"})
    assert rule_ids(detect(for_other)) == ["aws.access-key-for-other-user"]
    assert detect(cloudtrail("CreateAccessKey")).findings == []


def test_console_sign_in_without_mfa_versus_with_it() -> None:
    login = {
        "eventSource": "signin.amazonaws.com",
        "eventType": "AwsConsoleSignIn",
        "responseElements": {"ConsoleLogin": "Success"},
    }
    without = cloudtrail("ConsoleLogin", additionalEventData={"MFAUsed": "No"}, **login)
    with_mfa = cloudtrail("ConsoleLogin", additionalEventData={"MFAUsed": "Yes"}, **login)
    assert rule_ids(detect(without)) == ["aws.console-login-without-mfa"]
    assert detect(with_mfa).verdict == "benign"


def test_a_second_rule_raises_severity_and_a_failed_attempt_lowers_it() -> None:
    rules = [
        _rule("t.one", "medium", None),
        _rule("t.two", "medium", {"actor.alternateId|endswith": "example.test"}),
    ]
    engine = DetectionEngine(rules)
    assert engine.detect(normalize_event(okta("user.session.start"))).severity == "high"
    failed = engine.detect(normalize_event(okta("user.session.start", result="FAILURE")))
    assert failed.severity == "medium"  # two rules (+1), but the attempt failed (-1)


def test_a_source_no_rule_reads_is_needs_info() -> None:
    found = DetectionEngine([_rule("t.one", "low", None)]).detect(
        normalize_event(cloudtrail("ListUsers"))
    )
    assert found.verdict == "needs-info"
    assert found.evidence() == ["no detection rules cover this source"]


@pytest.mark.parametrize("verdict", ["suspicious", "malicious"])
def test_the_rule_says_how_strong_a_finding_is(verdict: str) -> None:
    engine = DetectionEngine([_rule("t.one", "low", None, verdict=verdict)])
    assert engine.detect(normalize_event(okta("user.session.start"))).verdict == verdict


def test_the_subjects_are_the_actor_then_the_target() -> None:
    found = detect(okta("user.account.privilege.grant"))
    assert found.subjects == ["ops@example.test", "dev@example.test"]


def _rule(
    rule_id: str, severity: str, match: dict[str, Any] | None, verdict: str = "suspicious"
) -> Rule:
    return Rule(
        id=rule_id,
        title=rule_id,
        sources=("okta",),
        event_types=("user.session.*",),
        match=compile_selection(match) if match else None,
        any=(),
        filter=(),
        attack=("T1078",),
        severity=severity,
        verdict=verdict,
        playbook="unknown",
        reference="",
        origin="test:1",
    )


def test_guardduty_sample_findings_are_benign() -> None:
    finding = {
        "schemaVersion": "2.0",
        "accountId": "111122223333",
        "region": "us-east-1",
        "id": "gd-1",
        "type": "PrivilegeEscalation:IAMUser/AdministrativePermissions",
        "severity": 8,
        "createdAt": "2026-11-20T10:00:00Z",
        "updatedAt": "2026-11-20T10:00:00Z",
        "title": "Principal attempted to grant itself administrative permissions.",
        "resource": {"resourceType": "AccessKey", "accessKeyDetails": {"userName": "ops"}},
        "service": {"serviceName": "guardduty", "archived": False, "additionalInfo": {}},
    }
    assert detect(finding).verdict == "malicious"
    finding["service"] = {"serviceName": "guardduty", "additionalInfo": {"sample": True}}
    assert detect(finding).verdict == "benign"
