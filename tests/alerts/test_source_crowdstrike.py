"""CrowdStrike Falcon event-stream normalizer: console audit events, Identity Protection
detections and incidents; severities on both Falcon scales; detection and rejection."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.alerts.intake.normalize import normalize_event
from bot.alerts.model import Identity
from bot.alerts.sources import crowdstrike
from bot.errors import AlertRejected
from tests.alerts import source_checks as cases

SOURCE = "crowdstrike"
CUSTOMER = "5e1d7c3b9a2f4e6d8c0b1a3f5e7d9c2b"


event = cases.events_of(SOURCE)


def test_api_client_creation_audit() -> None:
    alert = crowdstrike.normalize(event("auth_activity_api_client_created"))
    assert alert.event_type == "CreateAPIClient"
    assert alert.actor == Identity(
        kind="person",
        provider_id="2b4d6f8a-0c1e-4a3b-9d5f-7e9a1c3e5b7d",
        email="svc-ci-deployer@example.com",
    )
    assert alert.target == Identity(
        kind="service_account",
        provider_id="7a1c9e3b5d2f4a6c8e0b9d1f3a5c7e9b",
        name="rtr-bulk-runner",
    )
    assert alert.source_ip == "198.51.100.9"
    assert alert.outcome == "success"
    assert alert.vendor_severity == "unknown"
    assert alert.occurred_at == datetime(2025, 5, 15, 12, 41, 51, tzinfo=UTC)  # epoch seconds
    assert alert.vendor_event_id == f"{CUSTOMER}:1408861"
    assert alert.title == (
        "CrowdStrike: CreateAPIClient by svc-ci-deployer@example.com on rtr-bulk-runner"
    )


def test_api_client_actor_and_string_success_flag() -> None:
    alert = crowdstrike.normalize(event("user_activity_by_api_client"))
    assert alert.actor == Identity(
        kind="service_account", provider_id="7a1c9e3b5d2f4a6c8e0b9d1f3a5c7e9b", name="API client"
    )
    assert alert.target == Identity(
        kind="person",
        provider_id="c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
        email="ingrid.holm@example.com",
    )
    assert alert.outcome == "failure"  # "false"
    assert alert.occurred_at == datetime(2025, 5, 15, 12, 44, 5, tzinfo=UTC)


def test_identity_protection_detection() -> None:
    alert = crowdstrike.normalize(event("idp_detection_summary"))
    assert alert.event_type == "Credential scanning (password spraying)"
    assert alert.vendor_event_id == f"ldt:{CUSTOMER}:1099511989210"
    assert alert.actor == Identity(
        kind="person",
        provider_id="S-1-5-21-3623811015-3361044348-30300820-4411",
        name="CORP.EXAMPLE.COM\\mwalker",
    )
    assert alert.source_ip == "10.20.30.41"
    assert alert.vendor_severity == "high"  # SeverityName High
    assert alert.outcome == "unknown"
    assert alert.occurred_at == datetime(2025, 5, 16, 12, 55, 10, tzinfo=UTC)  # ContextTimeStamp


def test_identity_protection_incident_on_a_machine_account() -> None:
    alert = crowdstrike.normalize(event("identity_protection_incident"))
    assert alert.event_type == "LATERAL_MOVEMENT"
    assert alert.actor == Identity(kind="service_account", name="svc-backup$")
    assert alert.vendor_severity == "high"  # 72 on the 0-100 scale
    assert alert.source_ip == "10.20.31.7"
    assert alert.occurred_at == datetime(2025, 5, 16, 13, 41, 40, tzinfo=UTC)  # StartTime in ms


@pytest.mark.parametrize(
    ("severity", "expected"),
    [(1, "info"), (2, "low"), (3, "medium"), (5, "critical"), (35, "low"), (45, "medium"),
     (90, "critical"), (-3, "unknown"), ("n/a", "unknown")],
)  # fmt: skip
def test_severity_scales(severity: Any, expected: str) -> None:
    record = event("identity_protection_incident")
    record["event"]["Severity"] = severity
    assert crowdstrike.normalize(record).vendor_severity == expected


@pytest.mark.parametrize("name", cases.fixture_names(SOURCE))
def test_detection_picks_crowdstrike(name: str) -> None:
    assert normalize_event(event(name)).source == "crowdstrike"


@pytest.mark.parametrize(("folder", "name"), cases.every_vendor_fixture())
def test_matches_only_crowdstrike_events(folder: str, name: str) -> None:
    assert crowdstrike.matches(cases.fixture(folder, name)) is (folder == SOURCE)


def test_metadata_without_stream_fields_is_not_crowdstrike() -> None:
    assert not crowdstrike.matches({"metadata": {"eventType": "x"}, "event": {}})
    assert not crowdstrike.matches({"metadata": {"eventType": "x", "offset": 1}, "event": "x"})


def test_missing_time_is_a_typed_rejection() -> None:
    record = cases.without(
        event("auth_activity_api_client_created"),
        "event.UTCTimestamp",
        "metadata.eventCreationTime",
    )
    assert crowdstrike.matches(record)
    with pytest.raises(AlertRejected, match="time") as caught:
        normalize_event(record, require_event_time=True)
    assert caught.value.source == "crowdstrike"
    assert normalize_event(record).time_estimated  # by default: timed on arrival


@pytest.mark.parametrize(
    "shape", [[], "CreateAPIClient", {"metadata": {}}, {"metadata": {}, "event": []}]
)
def test_wrong_shapes_are_rejected(shape: Any) -> None:
    with pytest.raises(AlertRejected) as caught:
        crowdstrike.normalize(shape)
    assert caught.value.source == "crowdstrike"
