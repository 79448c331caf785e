"""Google Workspace Reports activity normalizer: the API's events[], a collector's event{},
flattened exports; targets from USER_EMAIL and the OAuth app; detection and rejection."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.alerts.intake.normalize import normalize_event
from bot.alerts.model import Geo, Identity
from bot.alerts.sources import google_workspace
from bot.errors import AlertRejected
from tests.alerts import source_checks as cases

SOURCE = "google_workspace"
CLIENT_ID = "492817365012-k3j5h7g9f1d2s4a6q8w0e1r3t5y7u9i0.apps.googleusercontent.com"


event = cases.events_of(SOURCE)


def test_token_authorize_targets_the_oauth_app() -> None:
    alert = google_workspace.normalize(event("token_authorize_third_party_app"))
    assert alert.event_type == "authorize"
    assert alert.actor == Identity(
        kind="person", provider_id="108877665544332211009", email="tom.becker@example.com"
    )
    assert alert.target == Identity(kind="oauth_app", provider_id=CLIENT_ID, name="Mail Sorter Pro")
    assert alert.source_ip == "2001:db8:aa::15"
    assert alert.geo == Geo(country="DE", region="DE-BE")
    assert alert.vendor_event_id == "-2785519307711054312"
    assert alert.occurred_at == datetime(2025, 3, 30, 19, 2, 44, 512000, tzinfo=UTC)
    assert alert.outcome == "unknown"
    assert alert.vendor_severity == "unknown"
    assert alert.title == (
        "Google Workspace: authorize by tom.becker@example.com on Mail Sorter Pro"
    )


def test_admin_role_assignment_targets_the_user() -> None:
    alert = google_workspace.normalize(event("admin_assign_role"))
    assert alert.event_type == "ASSIGN_ROLE"
    assert alert.target == Identity(kind="person", email="lee.park@example.com")
    assert alert.source_ip == "192.0.2.34"


def test_flattened_login_failure() -> None:
    alert = google_workspace.normalize(event("login_failure_flattened"))
    assert alert.event_type == "login_failure"
    assert alert.outcome == "failure"
    assert alert.actor is not None and alert.actor.email == "grace.okafor@example.com"
    assert alert.target is None
    assert alert.occurred_at == datetime(2025, 6, 11, 23, 48, 2, 331000, tzinfo=UTC)


def test_success_name_is_a_success() -> None:
    success = event("login_failure_flattened") | {"name": "login_success"}
    assert google_workspace.normalize(success).outcome == "success"


def test_key_caller_is_a_service_account() -> None:
    alert = google_workspace.normalize(event("service_account_key_event"))
    assert alert.actor == Identity(
        kind="service_account",
        email="directory-sync@example-prod.iam.gserviceaccount.com",
        name="SYSTEM",
    )
    assert alert.event_type == "SUSPEND_USER"  # from the singular event{}
    assert alert.target == Identity(kind="person", email="former.contractor@example.com")
    assert alert.source_ip is None


@pytest.mark.parametrize("name", cases.fixture_names(SOURCE))
def test_detection_picks_google_workspace(name: str) -> None:
    assert normalize_event(event(name)).source == "google_workspace"


@pytest.mark.parametrize(("folder", "name"), cases.every_vendor_fixture())
def test_matches_only_workspace_events(folder: str, name: str) -> None:
    assert google_workspace.matches(cases.fixture(folder, name)) is (folder == SOURCE)


def test_an_id_string_or_a_string_actor_is_not_workspace() -> None:
    assert not google_workspace.matches({"id": "abc", "name": "login_success", "actor": {}})
    assert not google_workspace.matches(
        {"id": {"applicationName": "login"}, "name": "x", "actor": "octocat"}
    )


@pytest.mark.parametrize("name", ["admin_assign_role", "login_failure_flattened"])
def test_missing_time_is_a_typed_rejection(name: str) -> None:
    record = cases.without(event(name), "id.time")
    assert google_workspace.matches(record)
    with pytest.raises(AlertRejected, match="time") as caught:
        normalize_event(record, require_event_time=True)
    assert caught.value.source == "google_workspace"
    assert normalize_event(record).time_estimated  # by default: timed on arrival


def test_activity_without_an_event_name_is_rejected() -> None:
    record = cases.without(event("admin_assign_role"), "events")
    with pytest.raises(AlertRejected, match="event name"):
        google_workspace.normalize(record)


@pytest.mark.parametrize("shape", [[], "login_failure", 3.5])
def test_non_objects_are_rejected(shape: Any) -> None:
    with pytest.raises(AlertRejected, match="JSON object"):
        google_workspace.normalize(shape)
