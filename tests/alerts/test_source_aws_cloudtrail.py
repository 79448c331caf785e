"""AWS CloudTrail normalizer: who did what to whom, from where, when, with what outcome;
detection among the other vendors; typed rejection of everything else."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.alerts.intake.normalize import normalize_event
from bot.alerts.model import Identity
from bot.alerts.sources import aws_cloudtrail
from tests.alerts import source_checks as cases

SOURCE = "aws_cloudtrail"


event = cases.events_of(SOURCE)


def test_create_access_key_names_the_caller_and_the_key_created() -> None:
    alert = aws_cloudtrail.normalize(event("create_access_key"))
    assert alert.source == SOURCE
    assert alert.event_type == "CreateAccessKey"
    assert alert.vendor_event_id == "3c6f1e0a-2b7d-4f8e-9a15-6d0c4b2e8f71"
    assert alert.title == "AWS: CreateAccessKey by alice.ops for svc-ci-deployer"
    assert alert.occurred_at == datetime(2025, 4, 14, 9, 12, 33, tzinfo=UTC)
    assert alert.actor == Identity(
        kind="person",
        provider_id="AIDAEXAMPLEALICEOPS1",
        arn="arn:aws:iam::111122223333:user/alice.ops",
        name="alice.ops",
    )
    assert alert.target == Identity(
        kind="access_key", provider_id="AKIAEXAMPLECIDEPLOY1", name="svc-ci-deployer"
    )
    assert alert.source_ip == "198.51.100.23"
    assert alert.user_agent is not None and alert.user_agent.startswith("aws-cli/2.15.30 ")
    assert alert.outcome == "success"
    assert alert.vendor_severity == "unknown"
    assert alert.geo is None
    assert alert.raw["requestParameters"] == {"userName": "svc-ci-deployer"}


def test_a_key_created_for_oneself_is_named_by_its_id() -> None:
    own_key = cases.without(event("create_access_key"), "requestParameters", "responseElements")
    own_key = cases.replaced(
        own_key, "responseElements", {"accessKey": {"accessKeyId": "AKIAEXAMPLEOWNKEY01"}}
    )
    alert = aws_cloudtrail.normalize(own_key)
    assert alert.target == Identity(
        kind="access_key", provider_id="AKIAEXAMPLEOWNKEY01", name="alice.ops"
    )
    assert alert.title == "AWS: CreateAccessKey by alice.ops for AKIAEXAMPLEOWNKEY01"


def test_failed_console_sign_in() -> None:
    alert = aws_cloudtrail.normalize(event("console_login_failed"))
    assert alert.event_type == "ConsoleLogin"
    assert alert.outcome == "failure"
    assert alert.title == "AWS: ConsoleLogin by break-glass-01 (failed)"
    assert alert.actor is not None and alert.actor.kind == "person"
    assert alert.actor.name == "break-glass-01"
    assert alert.target is None
    assert alert.source_ip == "203.0.113.77"
    assert alert.occurred_at == datetime(2025, 4, 14, 2, 47, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("verdict", "outcome"), [("Success", "success"), ("Failure", "failure"), ("Maybe", "success")]
)
def test_console_sign_in_outcome_follows_the_response(verdict: str, outcome: str) -> None:
    sign_in = cases.without(event("console_login_failed"), "errorMessage")
    sign_in = cases.replaced(sign_in, "responseElements", {"ConsoleLogin": verdict})
    assert aws_cloudtrail.normalize(sign_in).outcome == outcome


def test_sso_session_is_the_person_and_the_user_added_is_the_target() -> None:
    alert = aws_cloudtrail.normalize(event("sso_add_user_to_group"))
    assert alert.actor is not None
    assert alert.actor.kind == "person"
    assert alert.actor.email == "maria.chen@example.com"
    assert alert.actor.provider_id == "AROAEXAMPLESSOADMIN1:maria.chen@example.com"
    assert alert.target == Identity(kind="person", name="lee.park")
    assert alert.title == "AWS: AddUserToGroup by maria.chen@example.com for lee.park"
    assert alert.user_agent == "AWS Internal"
    assert alert.source_ip == "192.0.2.44"


def test_aws_service_hostname_is_not_kept_as_source_ip() -> None:
    alert = aws_cloudtrail.normalize(event("lambda_assume_role"))
    assert alert.source_ip is None
    assert alert.actor == Identity(kind="service_account", name="lambda.amazonaws.com")
    assert alert.target == Identity(
        kind="service_account", arn="arn:aws:iam::111122223333:role/invoice-export-lambda"
    )
    assert alert.title == "AWS: AssumeRole by lambda.amazonaws.com for invoice-export-lambda"


def test_eventbridge_envelope_is_read_through_to_the_record() -> None:
    alert = normalize_event(event("eventbridge_delete_access_key_denied"))
    assert alert.source == SOURCE
    assert alert.event_type == "DeleteAccessKey"
    assert alert.occurred_at == datetime(2025, 5, 19, 22, 3, 11, tzinfo=UTC)
    assert alert.outcome == "failure"
    assert (
        alert.title
        == "AWS: DeleteAccessKey by ci-runner for svc-ci-deployer (failed: AccessDenied)"
    )
    assert alert.actor == Identity(
        kind="service_account",
        provider_id="AROAEXAMPLECIRUNNER1:gh-actions-4471",
        arn="arn:aws:sts::111122223333:assumed-role/ci-runner/gh-actions-4471",
        name="ci-runner",
    )
    assert alert.target == Identity(
        kind="access_key", provider_id="AKIAEXAMPLECIDEPLOY1", name="svc-ci-deployer"
    )
    assert alert.source_ip == "2001:db8:4f1::17"
    assert alert.raw["detail-type"] == "AWS API Call via CloudTrail"


@pytest.mark.parametrize(
    ("user_name", "kind"),
    [
        ("svc-ci-deployer", "service_account"),
        ("reporting-bot", "service_account"),
        ("terraform_sync", "service_account"),
        ("alice.ops", "person"),
        ("cisco.admin", "person"),
    ],
)
def test_iam_users_are_people_unless_named_as_machines(user_name: str, kind: str) -> None:
    changed = cases.replaced(event("create_access_key"), "userIdentity.userName", user_name)
    alert = aws_cloudtrail.normalize(changed)
    assert alert.actor is not None and alert.actor.kind == kind
    assert alert.actor.name == user_name


def test_root_is_a_person_and_a_role_session_without_a_person_is_a_service_account() -> None:
    root = cases.replaced(
        event("create_access_key"),
        "userIdentity",
        {"type": "Root", "principalId": "111122223333", "arn": "arn:aws:iam::111122223333:root"},
    )
    actor = aws_cloudtrail.normalize(root).actor
    assert actor == Identity(
        kind="person", provider_id="111122223333", arn="arn:aws:iam::111122223333:root", name="root"
    )
    ci = aws_cloudtrail.normalize(event("eventbridge_delete_access_key_denied"))
    assert ci.actor is not None and ci.actor.kind == "service_account"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2025-04-14T11:12:33+02:00", datetime(2025, 4, 14, 9, 12, 33, tzinfo=UTC)),
        ("2025-04-14 09:12:33", datetime(2025, 4, 14, 9, 12, 33, tzinfo=UTC)),
        ("2025-04-14T09:12:33.250Z", datetime(2025, 4, 14, 9, 12, 33, 250000, tzinfo=UTC)),
    ],
)
def test_event_time_comes_out_in_utc(written: str, expected: datetime) -> None:
    alert = aws_cloudtrail.normalize(
        cases.replaced(event("create_access_key"), "eventTime", written)
    )
    assert alert.occurred_at == expected
    assert alert.occurred_at.utcoffset() is not None and not alert.occurred_at.utcoffset()


def test_all_lower_case_keys_read_the_same() -> None:
    original = aws_cloudtrail.normalize(event("sso_add_user_to_group"))
    respelled = aws_cloudtrail.normalize(cases.lowercase_keys(event("sso_add_user_to_group")))
    assert respelled.model_dump(exclude={"raw"}) == original.model_dump(exclude={"raw"})


@pytest.mark.parametrize("name", cases.fixture_names(SOURCE))
def test_detected_without_naming_the_source(name: str) -> None:
    assert normalize_event(event(name)).source == SOURCE


def test_does_not_claim_other_vendors_events() -> None:
    others = cases.other_vendor_events(SOURCE)
    assert len(others) >= 8
    assert [other for other in others if aws_cloudtrail.matches(other)] == []


def test_event_without_time_is_rejected() -> None:
    problem = cases.rejection(
        aws_cloudtrail.normalize, cases.without(event("create_access_key"), "eventTime")
    )
    assert problem.source == SOURCE
    assert "time" in problem.reason


def test_unreadable_time_is_rejected() -> None:
    unreadable = cases.replaced(event("create_access_key"), "eventTime", "yesterday-ish")
    assert "time" in cases.rejection(aws_cloudtrail.normalize, unreadable).reason


def test_record_without_event_name_is_rejected() -> None:
    problem = cases.rejection(
        aws_cloudtrail.normalize, cases.without(event("create_access_key"), "eventName")
    )
    assert "eventName" in problem.reason


@pytest.mark.parametrize("shape", [[], "CreateAccessKey", 42, None])
def test_non_objects_are_rejected(shape: Any) -> None:
    assert "JSON object" in cases.rejection(aws_cloudtrail.normalize, shape).reason
