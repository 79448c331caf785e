"""Shapes the normalizers met in real exports, one fixture each (tests/fixtures/shapes/):
nested fields as JSON text, records without their workload, cut-down activities, login ids
that are not emails, callers from another account."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.alerts.intake.normalize import normalize_event
from bot.alerts.model import Identity
from bot.errors import AlertRejected

SHAPES = Path(__file__).resolve().parents[1] / "fixtures" / "shapes"


def shape(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SHAPES / f"{name}.json").read_text("utf-8"))
    return loaded


def test_log_analytics_audit_with_nested_fields_as_json_text() -> None:
    alert = normalize_event(shape("log_analytics_audit_json_text"))
    assert (alert.source, alert.event_type, alert.outcome) == (
        "entra_id",
        "Add member to role",
        "success",
    )
    assert alert.actor == Identity(kind="person", provider_id="u-admin", email="admin@contoso.test")
    assert alert.target == Identity(kind="person", provider_id="u-dev", email="dev@contoso.test")
    assert alert.source_ip == "198.51.100.4"


def test_m365_directory_record_without_workload() -> None:
    alert = normalize_event(shape("m365_without_workload"))
    assert (alert.source, alert.event_type, alert.vendor_event_id) == (
        "entra_id",
        "Update user.",
        "8d7c-m365",
    )
    assert alert.actor is not None and alert.actor.email == "admin@contoso.test"
    assert alert.target is not None and alert.target.email == "dev@contoso.test"
    assert alert.source_ip == "198.51.100.5" and alert.outcome == "success"


def test_minimal_workspace_activity_flattened() -> None:
    alert = normalize_event(shape("workspace_minimal_flat"))
    assert (alert.source, alert.event_type, alert.outcome) == (
        "google_workspace",
        "login_failure",
        "failure",
    )
    assert alert.actor == Identity(kind="person", email="ann@example.test")
    assert alert.source_ip == "198.51.100.6" and not alert.time_estimated


def test_minimal_workspace_activity_with_events() -> None:
    alert = normalize_event(shape("workspace_minimal_events"))
    assert (alert.source, alert.event_type) == ("google_workspace", "2sv_disable")
    assert alert.actor == Identity(kind="person", email="ann@example.test")


def test_a_login_id_that_is_not_an_email_is_kept_beside_the_display_name() -> None:
    alert = normalize_event(shape("okta_login_not_email"))
    assert alert.actor == Identity(
        kind="person", provider_id="00u1jdoe", login="jdoe", name="Jane Doe"
    )
    assert alert.actor.label == "jdoe"


def test_a_caller_from_another_account_keeps_who_it_was() -> None:
    alert = normalize_event(shape("cloudtrail_cross_account_caller"))
    assert alert.actor is not None
    assert alert.actor.email == "alice@partner.test"
    assert alert.actor.name == "alice@partner.test in account 444455556666"
    assert alert.actor.provider_id == "AROAEXAMPLEROLE:alice@partner.test"


def test_an_event_nested_too_deep_to_copy_is_refused_not_a_crash() -> None:
    deep: Any = "leaf"
    for _ in range(5_000):
        deep = {"n": deep}
    event = {"actor": {"email": "ann@example.test"}, "name": "login_failure", "type": "login"}
    with pytest.raises(AlertRejected, match="unreadable event"):
        normalize_event({**event, "extra": deep})
