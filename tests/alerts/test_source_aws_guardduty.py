"""Amazon GuardDuty normalizer: the principal and key a finding is about, where the activity
came from, GuardDuty's severity bands, the EventBridge envelope, detection, typed rejection."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.alerts.intake.normalize import normalize_event
from bot.alerts.model import Geo, Identity
from bot.alerts.sources import aws_guardduty
from tests.alerts import source_checks as cases

SOURCE = "aws_guardduty"


event = cases.events_of(SOURCE)


def test_tor_caller_finding_names_the_user_the_key_and_where_it_came_from() -> None:
    alert = aws_guardduty.normalize(event("tor_caller"))
    assert alert.source == SOURCE
    assert alert.event_type == "UnauthorizedAccess:IAMUser/TorIPCaller"
    assert alert.vendor_event_id == "a8c5e1f2b3d4c6e7f8091a2b3c4d5e6f"
    assert alert.title == (
        "GuardDuty: UnauthorizedAccess:IAMUser/TorIPCaller by svc-ci-deployer"
        " for AKIAEXAMPLECIDEPLOY1"
    )
    assert alert.actor == Identity(
        kind="service_account", provider_id="AIDAEXAMPLECIDEPLOY9", name="svc-ci-deployer"
    )
    assert alert.target == Identity(
        kind="access_key", provider_id="AKIAEXAMPLECIDEPLOY1", name="svc-ci-deployer"
    )
    assert alert.source_ip == "185.220.101.47"
    assert alert.user_agent == "python-requests/2.31.0"
    assert alert.geo == Geo(country="Germany", city="Berlin", latitude=52.5167, longitude=13.4)
    assert alert.vendor_severity == "medium"
    assert alert.outcome == "unknown"
    # When the activity was last seen, not when the finding was written or updated.
    assert alert.occurred_at == datetime(2025, 6, 2, 3, 12, 9, tzinfo=UTC)


def test_eventbridge_envelope_is_read_through_to_the_finding() -> None:
    alert = normalize_event(event("eventbridge_credential_exfiltration"))
    assert alert.source == SOURCE
    assert (
        alert.event_type == "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"
    )
    assert alert.vendor_event_id == "f4e3d2c1b0a99887766554433221100f"
    assert alert.actor == Identity(
        kind="service_account",
        provider_id="AROAEXAMPLEAPPROLE01:i-0abc123def4567890",
        name="app-ec2-role",
    )
    assert alert.target is not None and alert.target.kind == "access_key"
    assert alert.target.provider_id == "ASIAEXAMPLEAPPEC2017"
    assert alert.title.endswith("by app-ec2-role for ASIAEXAMPLEAPPEC2017")
    assert alert.source_ip == "203.0.113.9"
    assert alert.geo is not None and alert.geo.country == "Brazil"
    assert alert.geo.latitude == pytest.approx(-23.5475)
    assert alert.outcome == "failure"  # the API call GuardDuty saw was denied
    assert alert.vendor_severity == "high"
    assert alert.occurred_at == datetime(2025, 7, 8, 11, 24, 55, tzinfo=UTC)
    assert alert.raw["detail-type"] == "GuardDuty Finding"


def test_attack_sequence_names_its_principal_in_the_text() -> None:
    alert = aws_guardduty.normalize(event("attack_sequence"))
    assert alert.actor == Identity(
        kind="person", provider_id="AIDAEXAMPLEBREAKGLS1", name="break-glass-01"
    )
    assert alert.target is None
    assert alert.source_ip is None and alert.geo is None
    assert alert.vendor_severity == "critical"
    assert alert.occurred_at == datetime(2025, 3, 11, 16, 20, 44, tzinfo=UTC)
    assert alert.title == "GuardDuty: AttackSequence:IAM/CompromisedCredentials by break-glass-01"


def test_instance_finding_targets_the_instance_and_keeps_the_remote_ip() -> None:
    alert = aws_guardduty.normalize(event("ssh_brute_force"))
    assert alert.actor is None
    assert alert.target == Identity(
        kind="unknown", provider_id="i-0a1b2c3d4e5f60718", name="i-0a1b2c3d4e5f60718"
    )
    assert alert.source_ip == "198.51.100.77"
    assert alert.geo == Geo(country="Netherlands", city="Amsterdam")
    assert alert.vendor_severity == "low"
    assert alert.title == "GuardDuty: UnauthorizedAccess:EC2/SSHBruteForce on i-0a1b2c3d4e5f60718"


def test_affected_role_is_the_target_when_no_key_is_named() -> None:
    finding = cases.without(event("eventbridge_credential_exfiltration"), "detail.resource")
    finding = cases.replaced(
        finding,
        "detail.service.action.awsApiCallAction.affectedResources",
        {"AWS::IAM::Role": "arn:aws:iam::111122223333:role/app-ec2-role"},
    )
    alert = aws_guardduty.normalize(finding)
    assert alert.target == Identity(
        kind="service_account", arn="arn:aws:iam::111122223333:role/app-ec2-role"
    )


@pytest.mark.parametrize(
    ("value", "severity"),
    [
        (0, "low"),
        (3.9, "low"),
        (4, "medium"),
        (6.9, "medium"),
        (7, "high"),
        (8.9, "high"),
        (9, "critical"),
        (10, "critical"),
        ("7.5", "high"),
        ("High", "high"),
        (-1, "unknown"),
        ("severe-ish", "unknown"),
        (None, "unknown"),
        (True, "unknown"),
        (float("nan"), "unknown"),
        (10**400, "unknown"),
        ("1e400", "unknown"),
        ("²", "unknown"),
    ],
)
def test_severity_bands(value: Any, severity: str) -> None:
    assert (
        aws_guardduty.normalize(
            cases.replaced(event("tor_caller"), "severity", value)
        ).vendor_severity
        == severity
    )


def test_finding_without_last_seen_falls_back_to_updated_at_in_utc() -> None:
    finding = cases.without(event("tor_caller"), "service.eventLastSeen")
    finding = cases.replaced(finding, "updatedAt", "2025-06-02T05:18:40.109+02:00")
    alert = aws_guardduty.normalize(finding)
    assert alert.occurred_at == datetime(2025, 6, 2, 3, 18, 40, 109000, tzinfo=UTC)


def test_all_lower_case_keys_read_the_same() -> None:
    original = aws_guardduty.normalize(event("tor_caller"))
    respelled = aws_guardduty.normalize(cases.lowercase_keys(event("tor_caller")))
    assert respelled.model_dump(exclude={"raw"}) == original.model_dump(exclude={"raw"})


@pytest.mark.parametrize("name", cases.fixture_names(SOURCE))
def test_detected_without_naming_the_source(name: str) -> None:
    assert normalize_event(event(name)).source == SOURCE


def test_does_not_claim_other_vendors_events() -> None:
    others = cases.other_vendor_events(SOURCE)
    assert len(others) >= 8
    assert [other for other in others if aws_guardduty.matches(other)] == []


def test_cloudtrail_record_of_a_guardduty_api_call_is_not_a_finding() -> None:
    call = {
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.guardduty",
        "detail": {"eventSource": "guardduty.amazonaws.com", "eventName": "ArchiveFindings"},
    }
    assert not aws_guardduty.matches(call)


def test_finding_without_any_time_is_rejected() -> None:
    timeless = cases.without(event("tor_caller"), "service.eventLastSeen", "updatedAt", "createdAt")
    problem = cases.rejection(aws_guardduty.normalize, timeless)
    assert problem.source == SOURCE
    assert "time" in problem.reason


def test_finding_without_type_is_rejected() -> None:
    assert (
        "type"
        in cases.rejection(
            aws_guardduty.normalize, cases.without(event("tor_caller"), "type")
        ).reason
    )


@pytest.mark.parametrize("shape", [[], "finding", 3.5, None])
def test_non_objects_are_rejected(shape: Any) -> None:
    assert "JSON object" in cases.rejection(aws_guardduty.normalize, shape).reason
