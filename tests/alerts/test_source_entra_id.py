"""Entra ID normalizer: sign-ins, directory audits, risk detections, Office 365 management
records and Graph security alerts; detection apart from the Azure activity log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.alerts.intake.normalize import normalize_event
from bot.alerts.model import Geo, Identity
from bot.alerts.sources import azure_activity, entra_id
from bot.errors import AlertRejected
from tests.alerts import source_checks as cases

SOURCE = "entra_id"


event = cases.events_of(SOURCE)


def test_risky_sign_in_in_the_diagnostic_envelope() -> None:
    alert = entra_id.normalize(event("signin_mfa_required_risky"))
    assert alert.event_type == "Sign-in activity"
    assert alert.vendor_event_id == "6e2a9c1d-7b3f-4a58-8e0d-1f2a3b4c5d6e"
    assert alert.occurred_at == datetime(2025, 6, 3, 7, 12, 40, 118000, tzinfo=UTC)  # created
    assert alert.actor == Identity(
        kind="person", provider_id="9c8b7a6d-5e4f-4321-8765-0fedcba98765",
        email="aiko.tanaka@example.com", name="Aiko Tanaka",
    )  # fmt: skip
    assert alert.target == Identity(
        kind="oauth_app",
        provider_id="00000003-0000-0ff1-ce00-000000000000",
        name="Office 365 SharePoint Online",
    )
    assert alert.source_ip == "198.51.100.77"
    assert alert.user_agent is not None and "Firefox/126.0" in alert.user_agent
    assert alert.geo == Geo(
        country="SG", region="Central Singapore", city="Singapore",
        latitude=1.2897, longitude=103.8501,
    )  # fmt: skip
    assert alert.outcome == "failure"  # error 50074
    assert alert.vendor_severity == "high"  # the higher of during-sign-in and aggregated risk
    assert alert.title == (
        "Entra ID: Sign-in activity by aiko.tanaka@example.com on Office 365 SharePoint Online"
    )


def test_bare_graph_sign_in_succeeds_with_no_risk() -> None:
    alert = entra_id.normalize(event("signin_graph_success"))
    assert alert.outcome == "success"  # errorCode 0
    assert alert.vendor_severity == "info"  # risk level "none"
    assert alert.occurred_at == datetime(2025, 6, 3, 9, 30, 2, tzinfo=UTC)
    assert alert.actor is not None and alert.actor.email == "lucas.moreau@example.com"
    assert alert.geo is not None and alert.geo.city == "Lyon"


def test_service_principal_sign_in_with_lower_cased_envelope() -> None:
    alert = entra_id.normalize(event("service_principal_signin"))
    assert alert.actor == Identity(
        kind="service_account",
        provider_id="2e4f6a8c-0b1d-4f3e-9a7c-5b3d1f9e7c5a",
        name="backup-exporter",
    )
    assert alert.target is not None and alert.target.name == "Microsoft Graph"
    assert alert.source_ip == "203.0.113.130"
    assert alert.outcome == "failure"
    assert alert.vendor_severity == "info"  # no risk fields: the envelope's Level 4


def test_consent_audit_targets_the_oauth_app() -> None:
    alert = entra_id.normalize(event("audit_consent_to_application"))
    assert alert.event_type == "Consent to application"
    assert alert.actor == Identity(
        kind="person", provider_id="3f2e1d0c-9b8a-4765-8432-10fedcba9876",
        email="tom.becker@example.com",
    )  # fmt: skip
    assert alert.target == Identity(
        kind="oauth_app", provider_id="c0ffee00-1234-4abc-9def-0123456789ab", name="Mail Sorter Pro"
    )
    assert alert.source_ip == "192.0.2.88"
    assert alert.user_agent is not None and alert.user_agent.startswith("Mozilla/5.0 (Macintosh")
    assert alert.outcome == "success"
    assert alert.occurred_at == datetime(2025, 3, 11, 21, 47, 5, 330122, tzinfo=UTC)


def test_app_initiated_graph_audit_prefers_the_user_target() -> None:
    alert = entra_id.normalize(event("audit_graph_app_adds_owner"))
    assert alert.actor == Identity(
        kind="service_account",
        provider_id="9e8d7c6b-5a4f-4e3d-2c1b-0a9f8e7d6c5b",
        name="provisioning-bot",
    )
    assert alert.target is not None and alert.target.email == "ravi.iyer@example.com"
    assert alert.target.kind == "person"
    assert alert.outcome == "failure"
    assert alert.source_ip is None


def test_risk_detection_names_the_user_at_risk() -> None:
    alert = entra_id.normalize(event("risk_detection_envelope"))
    assert alert.event_type == "anonymizedIPAddress"
    assert alert.actor is not None and alert.actor.email == "sofia.rossi@example.com"
    assert alert.source_ip == "2001:db8:feed::42"
    assert alert.vendor_severity == "medium"
    assert alert.outcome == "unknown"
    assert alert.occurred_at == datetime(2025, 7, 21, 10, 58, 31, 440000, tzinfo=UTC)
    assert alert.geo is not None and alert.geo.country == "IS"


def test_management_activity_record() -> None:
    alert = entra_id.normalize(event("m365_add_member_to_role"))
    assert alert.event_type == "Add member to role."
    assert alert.vendor_event_id == "3b7d1e2f-4a5c-4d6e-8f90-a1b2c3d4e5f6"
    assert alert.actor == Identity(
        kind="person",
        provider_id="0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        email="priya.shah@example.com",
    )
    assert alert.target == Identity(kind="person", email="lee.park@example.com")
    assert alert.source_ip == "2001:db8:1::7"  # "[2001:db8:1::7]:51724" without the port
    assert alert.user_agent is not None and alert.user_agent.endswith("Edg/125.0.0.0")
    assert alert.outcome == "success"
    assert alert.occurred_at == datetime(2025, 4, 2, 15, 41, 9, tzinfo=UTC)


def test_management_record_from_a_service_principal() -> None:
    record = event("m365_add_member_to_role")
    record.update(UserId="ServicePrincipal_5a4b3c2d", UserType=4, Actor=[{"ID": "Sync", "Type": 1}])
    alert = entra_id.normalize(record)
    assert alert.actor == Identity(
        kind="service_account", provider_id="ServicePrincipal_5a4b3c2d", name="Sync"
    )


def test_security_alert_evidence() -> None:
    alert = entra_id.normalize(event("security_alert_oauth_app"))
    assert alert.event_type == "Unusual addition of credentials to an OAuth app"
    assert alert.title.startswith("Microsoft: Unusual addition of credentials to an OAuth app by")
    assert alert.actor == Identity(
        kind="person", provider_id="7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d",
        email="hana.novak@example.com", name="Hana Novak",
    )  # fmt: skip
    assert alert.target == Identity(
        kind="oauth_app",
        provider_id="e4d3c2b1-a0f9-4e8d-7c6b-5a4f3e2d1c0b",
        name="Calendar Helper Sync",
    )
    assert alert.source_ip == "203.0.113.199"
    assert alert.geo == Geo(country="RO")
    assert alert.vendor_severity == "high"
    assert alert.occurred_at == datetime(2025, 8, 14, 22, 5, 37, 112000, tzinfo=UTC)


@pytest.mark.parametrize("name", cases.fixture_names(SOURCE))
def test_detection_picks_entra(name: str) -> None:
    assert normalize_event(event(name)).source == "entra_id"


@pytest.mark.parametrize(("folder", "name"), cases.every_vendor_fixture())
def test_matches_only_entra_events(folder: str, name: str) -> None:
    shown = cases.fixture(folder, name)
    assert entra_id.matches(shown) is (folder == SOURCE)
    assert not (entra_id.matches(shown) and azure_activity.matches(shown))


def test_an_azure_activity_envelope_is_not_entra() -> None:
    assert not entra_id.matches(cases.fixture("azure_activity", "role_assignment_write"))
    unrelated = {"time": "2025-01-01T00:00:00Z", "operationName": "x", "category": "Policy"}
    assert not entra_id.matches(unrelated)


@pytest.mark.parametrize(
    ("name", "time_paths"),
    [
        ("signin_mfa_required_risky", ("time", "properties.createdDateTime")),
        ("signin_graph_success", ("createdDateTime",)),
        ("audit_consent_to_application", ("time", "properties.activityDateTime")),
        ("risk_detection_envelope", ("time", "properties.activityDateTime",
                                     "properties.detectedDateTime")),
        ("m365_add_member_to_role", ("CreationTime",)),
        ("security_alert_oauth_app", ("createdDateTime", "firstActivityDateTime")),
    ],
)  # fmt: skip
def test_missing_time_is_a_typed_rejection(name: str, time_paths: tuple[str, ...]) -> None:
    with pytest.raises(AlertRejected, match="time") as caught:
        entra_id.normalize(cases.without(event(name), *time_paths))
    assert caught.value.source == "entra_id"


def test_impossible_time_is_a_typed_rejection() -> None:
    record = event("m365_add_member_to_role") | {"CreationTime": "2025-04-02T15:41:65"}
    with pytest.raises(AlertRejected, match="CreationTime"):
        normalize_event(record, require_event_time=True)
    assert normalize_event(record).time_estimated  # by default: timed on arrival


@pytest.mark.parametrize("shape", [[], "Sign-in activity", {}, {"category": "SignInLogs"}])
def test_wrong_shapes_are_rejected(shape: Any) -> None:
    with pytest.raises(AlertRejected) as caught:
        entra_id.normalize(shape)
    assert caught.value.source == "entra_id"
