"""Okta System Log normalizer: fields, identity kinds, detection, typed rejection."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.alerts.intake.normalize import normalize_event
from bot.alerts.model import Geo, Identity
from bot.alerts.sources import okta
from bot.errors import AlertRejected
from tests.alerts import source_checks as cases

SOURCE = "okta"


event = cases.events_of(SOURCE)


def test_push_denial_reads_every_field() -> None:
    alert = okta.normalize(event("mfa_push_denied"))
    assert alert.source == "okta"
    assert alert.event_type == "user.mfa.okta_verify.deny_push"
    assert alert.title == "Okta: user.mfa.okta_verify.deny_push by maria.chen@example.com"
    assert alert.vendor_event_id == "4f7c2a10-9b3e-11ef-8d21-5b0c7e4a1f32"
    assert alert.occurred_at == datetime(2025, 5, 6, 2, 14, 9, 882000, tzinfo=UTC)
    assert alert.actor == Identity(
        kind="person",
        provider_id="00u8mchen4Zq1x7Vb5d7",
        email="maria.chen@example.com",
        name="Maria Chen",
    )
    assert alert.target == alert.actor  # the User target is preferred over the authenticator
    assert alert.source_ip == "203.0.113.45"
    assert alert.user_agent is not None and alert.user_agent.endswith("Safari/537.36")
    assert alert.geo == Geo(
        country="Netherlands", region="North Holland", city="Amsterdam",
        latitude=52.3676, longitude=4.9041,
    )  # fmt: skip
    assert alert.outcome == "failure"
    assert alert.vendor_severity == "medium"  # WARN
    assert alert.raw["eventType"] == "user.mfa.okta_verify.deny_push"


def test_public_client_app_actor_is_an_oauth_app() -> None:
    alert = okta.normalize(event("service_app_token_grant"))
    assert alert.actor == Identity(
        kind="oauth_app", provider_id="0oa5rptsync1Xq8Lk5d7", name="Report Sync Service"
    )
    assert alert.target is not None and alert.target.kind == "oauth_app"  # AppInstance
    assert alert.outcome == "success"
    assert alert.vendor_severity == "info"
    assert alert.title == "Okta: app.oauth2.as.token.grant.access_token by Report Sync Service"


def test_system_principal_is_a_service_account_and_time_becomes_utc() -> None:
    alert = okta.normalize(event("system_deactivates_user"))
    assert alert.actor is not None and alert.actor.kind == "service_account"
    assert alert.actor.email == "system@okta.com"
    assert alert.target == Identity(
        kind="person", provider_id="00u3former7Rt2Lx5d7",
        email="jonas.weber@example.com", name="Jonas Weber",
    )  # fmt: skip
    assert alert.occurred_at == datetime(2025, 4, 19, 21, 0, 41, 6000, tzinfo=UTC)  # from +02:00
    assert alert.source_ip is None and alert.geo is None and alert.user_agent is None


def test_lower_cased_keys_and_the_ip_chain_are_read() -> None:
    alert = okta.normalize(event("lowercase_keys_admin_grant"))
    assert alert.event_type == "user.account.privilege.grant"
    assert alert.source_ip == "2001:db8:85a3::8a2e:370:7334"
    assert alert.geo is not None and (alert.geo.city, alert.geo.country) == ("Accra", "Ghana")
    assert alert.vendor_severity == "high"  # ERROR
    assert alert.title == (
        "Okta: user.account.privilege.grant by kofi.mensah@example.com on ines.duarte@example.com"
    )
    assert alert.occurred_at == datetime(2024, 11, 12, 9, 5, 33, 410000, tzinfo=UTC)


def test_an_ip_address_actor_supplies_the_source_ip() -> None:
    threat = event("system_deactivates_user")
    threat["eventType"] = "security.threat.detected"
    threat["actor"] = {"id": "192.0.2.9", "type": "IP address", "alternateId": "unknown"}
    alert = okta.normalize(threat)
    assert alert.source_ip == "192.0.2.9"
    assert alert.actor == Identity(kind="unknown", provider_id="192.0.2.9")


@pytest.mark.parametrize("name", cases.fixture_names(SOURCE))
def test_detection_picks_okta(name: str) -> None:
    alert = normalize_event(event(name))
    assert alert.source == "okta"


@pytest.mark.parametrize(("folder", "name"), cases.every_vendor_fixture())
def test_matches_only_okta_events(folder: str, name: str) -> None:
    assert okta.matches(cases.fixture(folder, name)) is (folder == SOURCE)


def test_a_stripped_event_is_okta_only_by_its_dotted_event_type() -> None:
    assert okta.matches({"eventType": "user.session.start", "published": "2025-01-01"})
    assert okta.matches({"eventType": "user.session.start", "actor": {"id": "00u1"}})
    assert not okta.matches({"eventType": "AwsApiCall", "actor": "octocat", "uuid": "x"})
    assert not okta.matches({"eventType": "logout"})


@pytest.mark.parametrize("published", [None, "redacted", "", 10**30])
def test_unreadable_time_is_a_typed_rejection(published: Any) -> None:
    broken = cases.without(event("mfa_push_denied"), "published")
    if published is not None:
        broken["published"] = published
    with pytest.raises(AlertRejected, match="time") as caught:
        okta.normalize(broken)
    assert caught.value.source == "okta"


@pytest.mark.parametrize("shape", [[], "user.session.start", 7, None])
def test_non_objects_are_rejected(shape: Any) -> None:
    with pytest.raises(AlertRejected, match="JSON object"):
        okta.normalize(shape)


def test_missing_event_type_is_rejected() -> None:
    with pytest.raises(AlertRejected, match="event type"):
        okta.normalize(cases.without(event("mfa_push_denied"), "eventType"))
