"""GCP Cloud Audit Logs normalizer: principal, IAM members added, service-account keys, status
codes, log severities, pipeline re-spellings, detection and typed rejection."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.alerts.intake.normalize import normalize_event
from bot.alerts.model import Identity
from bot.alerts.sources import gcp
from tests.alerts import source_checks as cases

SOURCE = "gcp"


event = cases.events_of(SOURCE)


def test_iam_policy_change_targets_the_member_added() -> None:
    alert = gcp.normalize(event("set_iam_policy_external_owner"))
    assert alert.source == SOURCE
    assert alert.event_type == "SetIamPolicy"
    assert alert.vendor_event_id == "-7h3k2qe1c9ab"
    assert alert.actor == Identity(
        kind="person", provider_id="user:maria.chen@example.com", email="maria.chen@example.com"
    )
    # The ADD delta, not the REMOVE listed before it.
    assert alert.target == Identity(kind="person", email="mallory.ext@gmail.example")
    assert (
        alert.title == "GCP: SetIamPolicy by maria.chen@example.com for mallory.ext@gmail.example"
    )
    assert alert.source_ip == "203.0.113.15"
    assert alert.user_agent is not None
    assert alert.user_agent.startswith("google-cloud-sdk gcloud/478.0.0 ")
    assert alert.outcome == "success"
    assert alert.vendor_severity == "info"
    assert alert.occurred_at == datetime(2025, 8, 21, 17, 40, 5, 3118, tzinfo=UTC)
    assert alert.geo is None


def test_service_account_key_creation_by_a_service_account() -> None:
    alert = gcp.normalize(event("create_service_account_key"))
    assert alert.event_type == "google.iam.admin.v1.CreateServiceAccountKey"
    assert alert.actor is not None
    assert alert.actor.kind == "service_account"
    assert alert.actor.email == "terraform@platform-ops.iam.gserviceaccount.com"
    assert alert.target == Identity(
        kind="access_key",
        provider_id="5f1c0e3b9a7d42c18e6f0b2a4d9c7e1f3a5b8c0d",
        email="deployer@prod-app-7731.iam.gserviceaccount.com",
        name="deployer@prod-app-7731.iam.gserviceaccount.com",
    )
    assert alert.title == (
        "GCP: CreateServiceAccountKey by terraform@platform-ops.iam.gserviceaccount.com"
        " for deployer@prod-app-7731.iam.gserviceaccount.com"
    )
    assert alert.source_ip == "35.199.12.4"
    assert alert.occurred_at == datetime(2025, 3, 9, 15, 50, 36, 148000, tzinfo=UTC)


def test_service_account_in_resource_name_is_the_target() -> None:
    token = cases.replaced(
        event("create_service_account_key"), "protoPayload.methodName", "SignJwt"
    )
    token = cases.without(token, "protoPayload.response")
    token = cases.replaced(
        token, "protoPayload.resourceName", "projects/-/serviceAccounts/104857600123456789012"
    )
    alert = gcp.normalize(token)
    assert alert.target == Identity(
        kind="service_account",
        provider_id="104857600123456789012",
        email="deployer@prod-app-7731.iam.gserviceaccount.com",
    )


def test_denied_call_is_a_failure_with_the_status_name() -> None:
    alert = gcp.normalize(event("create_service_account_denied"))
    assert alert.outcome == "failure"
    assert alert.title == (
        "GCP: CreateServiceAccount by tom.becker@example.com for backup-exporter"
        " (failed: PERMISSION_DENIED)"
    )
    assert alert.target == Identity(kind="service_account", name="backup-exporter")
    assert alert.source_ip is None  # "gce-internal-ip" is not an address
    assert alert.vendor_severity == "medium"


@pytest.mark.parametrize(
    ("status", "grants", "outcome"),
    [
        ({}, [True], "success"),
        ({"code": 0}, [False], "success"),
        ({"code": 5, "message": "not found"}, [True], "failure"),
        (None, [True, False], "failure"),
        (None, [True], "success"),
        (None, [], "unknown"),
    ],
)
def test_outcome_from_status_then_permission_checks(
    status: dict[str, Any] | None, grants: list[bool], outcome: str
) -> None:
    entry = cases.without(event("set_iam_policy_external_owner"), "protoPayload.status")
    if status is not None:
        entry = cases.replaced(entry, "protoPayload.status", status)
    checks = [{"permission": "x.y.z", "granted": granted} for granted in grants]
    entry = cases.replaced(entry, "protoPayload.authorizationInfo", checks)
    assert gcp.normalize(entry).outcome == outcome


def test_workspace_admin_event_targets_the_user_named() -> None:
    alert = gcp.normalize(event("workspace_add_group_member"))
    assert alert.event_type == "google.admin.AdminService.addGroupMember"
    assert alert.actor == Identity(kind="person", email="it-admin@example.com")
    assert alert.target == Identity(kind="person", email="lee.park@example.com")
    assert alert.title == "GCP: addGroupMember by it-admin@example.com for lee.park@example.com"
    assert alert.source_ip == "198.51.100.61"
    assert alert.outcome == "unknown"


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        ("user:ann@example.com", Identity(kind="person", email="ann@example.com")),
        (
            "serviceAccount:ci@p.iam.gserviceaccount.com",
            Identity(kind="service_account", email="ci@p.iam.gserviceaccount.com"),
        ),
        ("group:admins@example.com", Identity(kind="unknown", email="admins@example.com")),
        ("ann@example.com", Identity(kind="person", email="ann@example.com")),
        ("allUsers", Identity(kind="unknown", name="allUsers")),
        (
            "deleted:serviceAccount:old@p.iam.gserviceaccount.com?uid=1",
            Identity(kind="service_account", email="old@p.iam.gserviceaccount.com"),
        ),
    ],
)
def test_iam_members(member: str, expected: Identity) -> None:
    assert gcp.member_identity(member) == expected


@pytest.mark.parametrize(
    ("method", "short"),
    [
        ("google.iam.admin.v1.CreateServiceAccountKey", "CreateServiceAccountKey"),
        ("google.admin.AdminService.addGroupMember", "addGroupMember"),
        ("v1.compute.instances.insert", "compute.instances.insert"),
        ("compute.instances.setIamPolicy", "compute.instances.setIamPolicy"),
        ("SetIamPolicy", "SetIamPolicy"),
    ],
)
def test_titles_use_a_short_method_name(method: str, short: str) -> None:
    assert gcp.short_method(method) == short


@pytest.mark.parametrize(
    ("written", "severity"),
    [
        ("DEBUG", "info"),
        ("NOTICE", "info"),
        ("WARNING", "low"),
        ("ERROR", "medium"),
        ("CRITICAL", "high"),
        ("EMERGENCY", "critical"),
        ("500", "medium"),
        ("DEFAULT", "unknown"),
        ("LOUD", "unknown"),
        ("²", "unknown"),
        ("900", "unknown"),
    ],
)
def test_log_severity_mapping(written: str, severity: str) -> None:
    entry = cases.replaced(event("set_iam_policy_external_owner"), "severity", written)
    assert gcp.normalize(entry).vendor_severity == severity


def test_pipeline_spellings_read_the_same() -> None:
    """Lower-cased keys, "at_sign_type" for "@type" and "callerIP" for "callerIp"."""
    original = gcp.normalize(event("create_service_account_key"))
    respelled = gcp.normalize(cases.lowercase_keys(event("create_service_account_key")))
    assert respelled.model_dump(exclude={"raw"}) == original.model_dump(exclude={"raw"})
    assert respelled.raw["protopayload"]["at_sign_type"].endswith("AuditLog")


def test_time_in_another_zone_comes_out_in_utc() -> None:
    entry = cases.replaced(
        event("set_iam_policy_external_owner"), "timestamp", "2025-08-21T19:40:05.5+02:00"
    )
    assert gcp.normalize(entry).occurred_at == datetime(2025, 8, 21, 17, 40, 5, 500000, tzinfo=UTC)


def test_request_time_stands_in_for_a_missing_timestamp() -> None:
    entry = cases.without(event("set_iam_policy_external_owner"), "timestamp")
    assert gcp.normalize(entry).occurred_at == datetime(2025, 8, 21, 17, 40, 5, 118302, tzinfo=UTC)


@pytest.mark.parametrize("name", cases.fixture_names(SOURCE))
def test_detected_without_naming_the_source(name: str) -> None:
    assert normalize_event(event(name)).source == SOURCE


def test_does_not_claim_other_vendors_events() -> None:
    others = cases.other_vendor_events(SOURCE)
    assert len(others) >= 8
    assert [other for other in others if gcp.matches(other)] == []


def test_entry_without_time_is_rejected() -> None:
    entry = cases.without(
        event("set_iam_policy_external_owner"),
        "timestamp",
        "protoPayload.requestMetadata.requestAttributes.time",
    )
    problem = cases.rejection(gcp.normalize, entry)
    assert problem.source == SOURCE
    assert "time" in problem.reason


def test_entry_without_method_or_permission_is_rejected() -> None:
    entry = cases.without(
        event("set_iam_policy_external_owner"),
        "protoPayload.methodName",
        "protoPayload.authorizationInfo",
    )
    assert "methodName" in cases.rejection(gcp.normalize, entry).reason


def test_permission_names_the_action_when_method_is_missing() -> None:
    entry = cases.without(event("set_iam_policy_external_owner"), "protoPayload.methodName")
    assert gcp.normalize(entry).event_type == "resourcemanager.projects.setIamPolicy"


@pytest.mark.parametrize("payload", ["SetIamPolicy", ["x"], None])
def test_entry_whose_payload_is_not_an_object_is_rejected(payload: Any) -> None:
    entry = cases.replaced(event("set_iam_policy_external_owner"), "protoPayload", payload)
    assert "protoPayload" in cases.rejection(gcp.normalize, entry).reason


@pytest.mark.parametrize("shape", [[], "entry", 7, None])
def test_non_objects_are_rejected(shape: Any) -> None:
    assert "JSON object" in cases.rejection(gcp.normalize, shape).reason
