"""Azure activity log normalizer: callers from token claims, service principals, the REST shape,
storage requests signed with a SAS token; detection apart from Entra ID."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.alerts.intake.normalize import normalize_event
from bot.alerts.model import Identity
from bot.alerts.sources import azure_activity
from bot.errors import AlertRejected
from tests.alerts import source_checks as cases

SOURCE = "azure_activity"
ROLE_ASSIGNMENT = (
    "/SUBSCRIPTIONS/0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F0/RESOURCEGROUPS/PROD-RG/PROVIDERS/"
    "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/B1C2D3E4-F5A6-4B7C-8D9E-0F1A2B3C4D5E"
)


event = cases.events_of(SOURCE)


def test_role_assignment_by_a_person() -> None:
    alert = azure_activity.normalize(event("role_assignment_write"))
    assert alert.event_type == "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE"
    assert alert.actor == Identity(
        kind="person", provider_id="a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
        email="nadia.haddad@example.com", name="Nadia Haddad",
    )  # fmt: skip
    assert alert.target == Identity(
        kind="unknown", provider_id=ROLE_ASSIGNMENT, name="B1C2D3E4-F5A6-4B7C-8D9E-0F1A2B3C4D5E"
    )
    assert alert.source_ip == "192.0.2.61"
    assert alert.outcome == "success"
    assert alert.vendor_severity == "info"  # Informational
    assert alert.occurred_at == datetime(2025, 5, 19, 13, 22, 47, 901826, tzinfo=UTC)
    assert alert.vendor_event_id == "7c6b5a49-3827-4165-9f4e-3d2c1b0a9f8e"
    assert alert.geo is None  # "location" is the Azure region, not where the caller was
    assert alert.title.startswith(
        "Azure: MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE by nadia.haddad@example.com on "
    )


def test_app_token_caller_is_a_service_principal() -> None:
    alert = azure_activity.normalize(event("service_principal_keyvault_secret_read"))
    assert alert.actor == Identity(
        kind="service_account", provider_id="3c2b1a09-f8e7-4d6c-5b4a-392817060504"
    )
    assert alert.target is not None and alert.target.name == "kv-shared-prod"
    assert alert.outcome == "failure"
    assert alert.vendor_severity == "high"  # Error


def test_activity_rest_shape() -> None:
    alert = azure_activity.normalize(event("rest_shape_policy_delete"))
    assert alert.event_type == "Microsoft.Authorization/policyAssignments/delete"
    assert alert.vendor_event_id == "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"  # eventDataId
    assert alert.actor == Identity(
        kind="person", email="omar.farouk@example.com", name="Omar Farouk"
    )
    assert alert.source_ip == "203.0.113.14"
    assert alert.outcome == "failure"  # status.value Failed
    assert alert.vendor_severity == "medium"  # Warning
    assert alert.occurred_at == datetime(2025, 10, 7, 8, 45, 12, 608123, tzinfo=UTC)


def test_storage_request_signed_with_a_sas_token() -> None:
    alert = azure_activity.normalize(event("storage_sas_read_denied"))
    assert alert.event_type == "GetBlob"
    assert alert.actor is not None and alert.actor.kind == "access_key"
    assert alert.actor.name == "SAS token of financearchive01"
    assert alert.target is not None and alert.target.name == "financearchive01"
    assert alert.source_ip == "198.51.100.201"  # port stripped
    assert alert.user_agent == "curl/8.5.0"
    assert alert.outcome == "failure"  # HTTP 403
    assert alert.title == "Azure: GetBlob by SAS token of financearchive01 on financearchive01"


def test_a_caller_guid_without_claims_is_kept_as_an_unknown_principal() -> None:
    record = cases.without(event("rest_shape_policy_delete"), "claims")
    record["caller"] = "6f5e4d3c-2b1a-4098-f7e6-d5c4b3a29180"
    alert = azure_activity.normalize(record)
    assert alert.actor == Identity(
        kind="unknown", provider_id="6f5e4d3c-2b1a-4098-f7e6-d5c4b3a29180"
    )


@pytest.mark.parametrize("name", cases.fixture_names(SOURCE))
def test_detection_picks_azure_activity(name: str) -> None:
    assert normalize_event(event(name)).source == "azure_activity"


@pytest.mark.parametrize(("folder", "name"), cases.every_vendor_fixture())
def test_matches_only_azure_activity_events(folder: str, name: str) -> None:
    assert azure_activity.matches(cases.fixture(folder, name)) is (folder == SOURCE)


def test_an_entra_sign_in_envelope_is_not_activity() -> None:
    sign_in = cases.fixture("entra_id", "signin_mfa_required_risky")
    assert not azure_activity.matches(sign_in)
    assert normalize_event(sign_in).source == "entra_id"


@pytest.mark.parametrize(
    ("name", "paths"),
    [("role_assignment_write", ("time",)), ("rest_shape_policy_delete", ("eventTimestamp",))],
)
def test_missing_time_is_a_typed_rejection(name: str, paths: tuple[str, ...]) -> None:
    record = cases.without(event(name), *paths)
    assert azure_activity.matches(record)  # still recognised, so the reason names the time
    with pytest.raises(AlertRejected, match="time") as caught:
        normalize_event(record, require_event_time=True)
    assert caught.value.source == "azure_activity"
    assert normalize_event(record).time_estimated  # by default: timed on arrival


@pytest.mark.parametrize("shape", [[], "GetBlob", {}, {"operationName": {"value": 3}}])
def test_wrong_shapes_are_rejected(shape: Any) -> None:
    with pytest.raises(AlertRejected) as caught:
        azure_activity.normalize(shape)
    assert caught.value.source == "azure_activity"
