"""GitHub audit log normalizer: people, apps and bots as actors; users, OAuth apps, tokens and
repositories as targets; epoch and text times; detection and typed rejection."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.alerts.intake.normalize import normalize_event
from bot.alerts.model import Geo, Identity
from bot.alerts.sources import github
from tests.alerts import source_checks as cases

SOURCE = "github"


event = cases.events_of(SOURCE)


def test_member_added_to_the_org() -> None:
    alert = github.normalize(event("org_add_member"))
    assert alert.source == SOURCE
    assert alert.event_type == "org.add_member"
    assert alert.vendor_event_id == "m9Xq2Lk7Tt0vB3nR5sYw1A"
    assert alert.title == "GitHub: org.add_member by dana-owner for lee-park"
    assert alert.actor == Identity(kind="person", provider_id="4411027", name="dana-owner")
    assert alert.target == Identity(kind="person", provider_id="99887766", name="lee-park")
    assert alert.source_ip == "198.51.100.140"
    assert alert.user_agent is not None and "Safari/605.1.15" in alert.user_agent
    assert alert.geo == Geo(country="DE")
    assert alert.occurred_at == datetime(2025, 5, 1, 9, 4, 5, 512000, tzinfo=UTC)
    assert alert.outcome == "unknown"
    assert alert.vendor_severity == "unknown"


def test_oauth_authorization_targets_the_app() -> None:
    alert = github.normalize(event("oauth_authorization_create"))
    assert alert.actor is not None and alert.actor.kind == "person"
    assert alert.target == Identity(kind="oauth_app", provider_id="2190443", name="Mail Sorter Pro")
    assert alert.title == "GitHub: oauth_authorization.create by tom-becker for Mail Sorter Pro"
    assert alert.geo == Geo(country="US", region="CA", city="San Jose")


def test_token_request_targets_the_token_and_reads_a_text_time() -> None:
    alert = github.normalize(event("personal_access_token_request"))
    assert alert.target == Identity(kind="access_key", provider_id="4471", name="maria-chen")
    assert alert.title == "GitHub: personal_access_token.request_created by maria-chen for 4471"
    assert alert.source_ip == "2001:db8:85a3::8a2e:370:7334"
    assert alert.occurred_at == datetime(2025, 5, 2, 10, 11, 12, 345000, tzinfo=UTC)


def test_app_bot_is_an_oauth_app_acting_on_a_repository() -> None:
    alert = github.normalize(event("bot_git_push"))
    assert alert.actor == Identity(kind="oauth_app", provider_id="49699333", name="dependabot[bot]")
    assert alert.target == Identity(kind="unknown", name="example-org/payments-api")
    assert alert.title == "GitHub: git.push by dependabot[bot] on example-org/payments-api"
    assert alert.source_ip is None and alert.geo is None
    assert alert.occurred_at == datetime(2025, 6, 9, 9, 27, 1, 735000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("login", "access_type", "kind"),
    [
        ("renovate[bot]", None, "oauth_app"),
        ("octo-deployer", "GitHub App server-to-server token", "oauth_app"),
        ("release-bot", "personal_access_token", "service_account"),
        ("github", None, "service_account"),
        ("lee-park", "personal_access_token", "person"),
    ],
)
def test_actor_kinds(login: str, access_type: str | None, kind: str) -> None:
    changed = cases.replaced(event("org_add_member"), "actor", login)
    changed = cases.replaced(changed, "programmatic_access_type", access_type)
    changed = cases.replaced(changed, "actor_is_bot", False)
    alert = github.normalize(changed)
    assert alert.actor is not None and alert.actor.kind == kind


@pytest.mark.parametrize(
    ("action", "target"),
    [
        ("org.disable_two_factor_requirement", Identity(kind="unknown", name="example-org")),
        ("repo.create", Identity(kind="unknown", name="example-org/new-service")),
        ("team.add_member", Identity(kind="person", name="lee-park")),
    ],
)
def test_target_without_a_user_falls_back_by_category(action: str, target: Identity) -> None:
    changed = cases.replaced(event("org_add_member"), "action", action)
    changed = cases.replaced(changed, "repo", "example-org/new-service")
    if action != "team.add_member":
        changed = cases.without(changed, "user", "user_id")
    else:
        changed = cases.without(changed, "user_id")
    assert github.normalize(changed).target == target


def test_saml_name_id_is_kept_as_the_actor_email() -> None:
    changed = cases.replaced(
        event("org_add_member"), "external_identity_nameid", "dana@example.com"
    )
    actor = github.normalize(changed).actor
    assert actor is not None and actor.email == "dana@example.com"
    assert actor.name == "dana-owner"


def test_keys_spelled_by_a_pipeline_read_the_same() -> None:
    """Lower-cased keys and "at_sign_timestamp" for "@timestamp"."""
    original = github.normalize(event("bot_git_push"))
    respelled = github.normalize(cases.lowercase_keys(event("bot_git_push")))
    assert respelled.model_dump(exclude={"raw"}) == original.model_dump(exclude={"raw"})
    assert "at_sign_timestamp" in respelled.raw


@pytest.mark.parametrize("name", cases.fixture_names(SOURCE))
def test_detected_without_naming_the_source(name: str) -> None:
    assert normalize_event(event(name)).source == SOURCE


def test_does_not_claim_other_vendors_events() -> None:
    others = cases.other_vendor_events(SOURCE)
    assert len(others) >= 8
    assert [other for other in others if github.matches(other)] == []


def test_does_not_claim_action_logs_without_a_login_actor() -> None:
    duo_like = {"action": "admin_login", "username": "ann", "timestamp": 1747312380}
    object_actor = {"action": "user.login", "actor": {"id": "U1"}, "org": "example"}
    assert not github.matches(duo_like)
    assert not github.matches(object_actor)


def test_event_without_time_is_rejected() -> None:
    problem = cases.rejection(
        github.normalize, cases.without(event("org_add_member"), "@timestamp", "created_at")
    )
    assert problem.source == SOURCE
    assert "time" in problem.reason


def test_event_without_action_is_rejected() -> None:
    assert (
        "action"
        in cases.rejection(
            github.normalize, cases.without(event("org_add_member"), "action")
        ).reason
    )


@pytest.mark.parametrize("shape", [[], "org.add_member", 1, None])
def test_non_objects_are_rejected(shape: Any) -> None:
    assert "JSON object" in cases.rejection(github.normalize, shape).reason
