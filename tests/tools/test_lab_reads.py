"""What the lab shows: identities by any name, keys, sessions, grants, events, blast radius,
and targets with every spelling a protected-target rule may use."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from lab_fixtures import IssueCredential

from bot.clock import utcnow
from bot.errors import NotFound, ProviderError
from tools.base import PresentedCredential
from tools.providers.lab import LabProvider

READ_SCOPES = frozenset(
    {"directory:read", "sessions:read", "keys:read", "grants:read", "authlog:read"}
)


@pytest.fixture
def reader(issue: IssueCredential) -> PresentedCredential:
    return issue(READ_SCOPES)


@pytest.mark.parametrize(
    "ref",
    ["p-ana-lima", "ANA.LIMA@lab.example", "ana lima", "u0idadmin1", " p-ana-lima "],
)
def test_an_identity_resolves_by_any_name(
    lab: LabProvider, reader: PresentedCredential, ref: str
) -> None:
    assert lab.get_identity(reader, ref)["id"] == "p-ana-lima"


def test_a_service_account_resolves_by_arn(lab: LabProvider, reader: PresentedCredential) -> None:
    arn = "ARN:AWS:IAM::111122223333:USER/SVC-CI-DEPLOYER"
    found = lab.get_identity(reader, arn)
    assert found["id"] == "svc-ci-deployer" and found["kind"] == "service_account"
    assert found["owner_id"].startswith("p-")


def test_an_unknown_identity_is_not_found(lab: LabProvider, reader: PresentedCredential) -> None:
    with pytest.raises(NotFound, match="nobody-here"):
        lab.get_identity(reader, "nobody-here@lab.example")


def test_results_are_plain_json(lab: LabProvider, reader: PresentedCredential) -> None:
    for result in (
        lab.get_identity(reader, "p-maria-chen"),
        lab.list_sessions(reader, "p-maria-chen"),
        lab.list_access_keys(reader, "svc-ci-deployer"),
        lab.list_oauth_grants(reader, "p-tom-becker"),
        lab.recent_auth_events(reader, "p-maria-chen", 24, 10),
        lab.assess_blast_radius(reader, "p-maria-chen"),
    ):
        assert json.loads(json.dumps(result)) == result


def test_identity_profile(lab: LabProvider, reader: PresentedCredential) -> None:
    maria = lab.get_identity(reader, "p-maria-chen")
    assert maria["status"] == "active" and maria["mfa"]["factors"]
    privileged = {g["id"] for g in maria["groups"] if g["privileged"]}
    assert privileged and set(maria["privileged_groups"]) == privileged and maria["privileged"]
    assert not maria["break_glass"]


def test_keys_show_age_and_last_use(lab: LabProvider, reader: PresentedCredential) -> None:
    keys = lab.list_access_keys(reader, "svc-ci-deployer")
    [key] = [k for k in keys["keys"] if k["key_id"] == "AKIAEXAMPLECIDEPLOY1"]
    created = datetime.fromisoformat(key["created_at"])
    assert key["age_days"] == (utcnow() - created).days and key["age_days"] > 0
    assert key["last_used_ip"] == "203.0.113.77" and key["last_used_region"]
    assert keys["active_count"] == sum(1 for k in keys["keys"] if k["status"] == "active")
    assert not any("secret" in name for k in keys["keys"] for name in k)


def test_sessions_show_state(lab: LabProvider, reader: PresentedCredential) -> None:
    sessions = lab.list_sessions(reader, "p-maria-chen")
    states = [s["state"] for s in sessions["sessions"]]
    assert sessions["active_count"] == states.count("active") == 3
    assert "185.220.101.34" in {s["ip"] for s in sessions["sessions"] if s["state"] == "active"}


def test_grants_flag_risk(lab: LabProvider, reader: PresentedCredential) -> None:
    grants = lab.list_oauth_grants(reader, "p-tom-becker")
    risky = [g for g in grants["grants"] if g["risky"] and g["state"] == "active"]
    assert grants["risky_active_count"] == len(risky) >= 1


def test_auth_events_newest_first_within_window_and_limit(
    lab: LabProvider, reader: PresentedCredential
) -> None:
    wide = lab.recent_auth_events(reader, "p-maria-chen", 168, 200)
    times = [e["at"] for e in wide["events"]]
    assert times == sorted(times, reverse=True)
    assert wide["total_in_window"] > 15
    narrow = lab.recent_auth_events(reader, "p-maria-chen", 1, 5)
    assert narrow["shown"] == len(narrow["events"]) == 5 < narrow["total_in_window"]
    cutoff = utcnow() - timedelta(hours=1, minutes=1)
    assert all(datetime.fromisoformat(e["at"]) >= cutoff for e in narrow["events"])
    assert narrow["summary"]["by_type_outcome"]["mfa_push/denied"] >= 5


def test_auth_event_window_is_bounded(lab: LabProvider, reader: PresentedCredential) -> None:
    with pytest.raises(ProviderError, match="hours"):
        lab.recent_auth_events(reader, "p-maria-chen", 0, 10)
    with pytest.raises(ProviderError, match="limit"):
        lab.recent_auth_events(reader, "p-maria-chen", 24, 10_000)


def test_blast_radius_score_is_its_breakdown(lab: LabProvider, reader: PresentedCredential) -> None:
    for identity in ("p-maria-chen", "svc-ci-deployer", "break-glass-01", "p-tom-becker"):
        radius = lab.assess_blast_radius(reader, identity)
        parts = radius["breakdown"]
        assert all(
            p["points"] == p["count"] * p["weight"] == len(p["items"]) * p["weight"] for p in parts
        )
        assert radius["score"] == sum(p["points"] for p in parts)
    glass = lab.assess_blast_radius(reader, "break-glass-01")["score"]
    seller = lab.assess_blast_radius(reader, "p-tom-becker")["score"]
    assert glass > seller


def test_blast_radius_follows_the_lab(lab: LabProvider, issue: IssueCredential) -> None:
    reader = issue(READ_SCOPES)
    before = lab.assess_blast_radius(reader, "p-lee-park")
    lab.remove_from_group(issue({"groups:write"}), "p-lee-park", "g-aws-admins")
    after = lab.assess_blast_radius(reader, "p-lee-park")
    assert before["score"] - after["score"] >= 20
    privileged = next(p for p in after["breakdown"] if p["component"] == "privileged_groups")
    assert "g-aws-admins" not in privileged["items"]


def test_target_of_an_identity(lab: LabProvider, reader: PresentedCredential) -> None:
    target = lab.resolve_target(reader, "Maria.Chen@lab.example")
    assert (target.kind, target.identity_id) == ("person", "p-maria-chen")
    assert {"p-maria-chen", "maria.chen@lab.example", "maria chen"} <= target.aliases
    assert all(alias == alias.lower() for alias in target.aliases)


def test_a_break_glass_key_resolves_with_its_owner_names(
    lab: LabProvider, reader: PresentedCredential
) -> None:
    [key] = lab.list_access_keys(reader, "break-glass-01")["keys"]
    target = lab.resolve_target(reader, key["key_id"])
    assert (target.kind, target.identity_id) == ("access_key", "break-glass-01")
    assert target.aliases == {
        key["key_id"].lower(),
        "break-glass-01",
        "break-glass-01@lab.example",
        "break glass 01",
        "arn:aws:iam::111122223333:user/break-glass-01",
    }


def test_targets_of_grants_sessions_and_groups(
    lab: LabProvider, reader: PresentedCredential
) -> None:
    grant = lab.list_oauth_grants(reader, "p-tom-becker")["grants"][0]["grant_id"]
    grant_target = lab.resolve_target(reader, grant)
    assert grant_target.kind == "oauth_grant" and grant_target.identity_id == "p-tom-becker"
    assert {grant.lower(), "tom.becker@lab.example"} <= grant_target.aliases
    session = lab.list_sessions(reader, "break-glass-01")["sessions"][0]["session_id"]
    session_target = lab.resolve_target(reader, session)
    assert session_target.kind == "session" and "break-glass-01" in session_target.aliases
    group = lab.resolve_target(reader, "AWS Administrators")
    assert (group.kind, group.identity_id) == ("group", None)
    assert group.aliases == {"g-aws-admins", "aws administrators"}
    with pytest.raises(NotFound):
        lab.resolve_target(reader, "no-such-thing")
