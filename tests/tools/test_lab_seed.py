"""seed_lab: deterministic, idempotent, the right size, and holding the demo scenarios."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import yaml
from lab_fixtures import rows_of
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.clock import as_utc, utcnow
from tools.providers.lab import LabProvider, describe_identity_for_operator, lab_overview, seed_lab
from tools.providers.lab.models import (
    SEEDED_TABLES,
    LabAccessKey,
    LabAuthEvent,
    LabGroup,
    LabIdentity,
    LabMembership,
    LabOAuthGrant,
    LabSession,
)

POLICY = Path(__file__).resolve().parents[2] / "policy.yaml"


def table_count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_summary_matches_what_is_in_the_tables(engine: Engine) -> None:
    summary = seed_lab(engine)
    with Session(engine) as session:
        by_kind = select(LabIdentity.kind, func.count()).group_by(col(LabIdentity.kind))
        kinds = dict(session.exec(by_kind).all())
    assert kinds == {"person": summary.people, "service_account": summary.service_accounts}
    assert table_count(engine, LabGroup) == summary.groups
    assert table_count(engine, LabMembership) == summary.memberships
    assert table_count(engine, LabAccessKey) == summary.access_keys
    assert table_count(engine, LabOAuthGrant) == summary.oauth_grants
    assert table_count(engine, LabSession) == summary.sessions
    assert table_count(engine, LabAuthEvent) == summary.auth_events
    assert 45 <= summary.people <= 55
    assert 15 <= summary.service_accounts <= 25
    assert 10 <= summary.groups <= 14


def test_the_same_seed_builds_the_same_lab(engine: Engine) -> None:
    now = utcnow()
    seed_lab(engine, seed=11, now=now)
    first = rows_of(engine)
    seed_lab(engine, seed=11, now=now)
    assert rows_of(engine) == first
    seed_lab(engine, seed=12, now=now)
    assert rows_of(engine) != first


def test_reseeding_restores_the_lab_and_leaves_other_tables_alone(engine: Engine) -> None:
    other = Table(
        "not_lab_things",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String(20)),
    )
    other.create(engine)
    with engine.begin() as conn:
        conn.execute(insert(other).values(id=1, name="keep me"))
    now = utcnow()
    summary = seed_lab(engine, now=now)
    provider = LabProvider(engine)
    secret = "a-secret-the-broker-issued"
    provider.register_credential(
        "cred-1", secret, frozenset({"identity:suspend"}), "task-1", utcnow() + timedelta(minutes=5)
    )
    before = rows_of(engine)
    with Session(engine) as session:
        maria = session.get(LabIdentity, "p-maria-chen")
        assert maria is not None
        maria.status = "suspended"
        session.add(maria)
        session.commit()
    assert seed_lab(engine, now=now) == summary
    assert rows_of(engine) == before
    assert provider.credential_accepted(secret)
    with engine.connect() as conn:
        assert conn.execute(select(other.c.name)).scalars().all() == ["keep me"]


def test_every_lab_table_is_prefixed_lab(engine: Engine) -> None:
    assert all(str(model.__tablename__).startswith("lab_") for model in SEEDED_TABLES)


def test_policy_approvers_are_lab_admins(engine: Engine) -> None:
    seed_lab(engine)
    policy = yaml.safe_load(POLICY.read_text())
    approvers = {user for group in policy["approver_groups"].values() for user in group["users"]}
    assert approvers  # the policy names some
    for slack_id in sorted(approvers):
        described = describe_identity_for_operator(engine, slack_id.lower())["identity"]
        assert described["slack_user_id"] == slack_id
        assert described["kind"] == "person"
        assert described["privileged"] and described["directory_admin"]


def test_break_glass_accounts(engine: Engine) -> None:
    seed_lab(engine)
    for number in ("01", "02"):
        found = describe_identity_for_operator(engine, f"break-glass-{number}@lab.example")
        identity = found["identity"]
        assert identity["id"] == f"break-glass-{number}"
        assert identity["arn"] == f"arn:aws:iam::111122223333:user/break-glass-{number}"
        assert identity["break_glass"] and identity["privileged"]


def test_people_and_service_accounts_are_named_as_agreed(engine: Engine) -> None:
    seed_lab(engine)
    with Session(engine) as session:
        identities = session.exec(select(LabIdentity)).all()
    for identity in identities:
        if identity.kind == "service_account":
            assert identity.id.startswith("svc-") and identity.email is None
            assert identity.arn == f"arn:aws:iam::111122223333:user/{identity.id}"
        elif not identity.break_glass:
            first, last = identity.name.lower().split(" ")
            assert identity.id == f"p-{first}-{last}"
            assert identity.email == f"{first}.{last}@lab.example"
            assert identity.slack_user_id and identity.slack_user_id.startswith("U")


def test_mfa_fatigue_scenario(engine: Engine) -> None:
    seed_lab(engine)
    maria = describe_identity_for_operator(engine, "maria.chen@lab.example")
    events = maria["recent_auth_events"]["events"]
    pushes = [e for e in events if e["type"] == "mfa_push" and e["ip"] == "185.220.101.34"]
    outcomes = [e["outcome"] for e in reversed(pushes)]  # oldest first
    assert outcomes.count("denied") >= 5 and outcomes[-1] == "approved"
    assert "approved" not in outcomes[:-1]
    assert "185.220.101.34" in maria["recent_auth_events"]["summary"]["new_ips"]
    assert maria["recent_auth_events"]["summary"]["new_countries"]
    assert maria["sessions"]["active_count"] == 3
    assert maria["identity"]["privileged_groups"]


def test_key_used_from_a_new_region_scenario(engine: Engine) -> None:
    seed_lab(engine)
    found = describe_identity_for_operator(engine, "svc-ci-deployer")
    [key] = [k for k in found["access_keys"]["keys"] if k["key_id"] == "AKIAEXAMPLECIDEPLOY1"]
    assert key["status"] == "active" and key["last_used_ip"] == "203.0.113.77"
    with Session(engine) as session:
        from_elsewhere = col(LabAuthEvent.ip) != "203.0.113.77"
        mine = col(LabAuthEvent.identity_id) == "svc-ci-deployer"
        earlier = session.exec(select(LabAuthEvent.detail).where(mine, from_elsewhere)).all()
    assert earlier and all(key["last_used_region"] not in detail for detail in earlier)
    assert "203.0.113.77" in found["recent_auth_events"]["summary"]["new_ips"]


def test_risky_oauth_consent_scenario(engine: Engine) -> None:
    seed_lab(engine)
    grants = describe_identity_for_operator(engine, "Tom Becker")["oauth_grants"]["grants"]
    [sorter] = [g for g in grants if g["app_name"] == "Mail Sorter Pro"]
    assert sorter["risky"] and sorter["state"] == "active"
    assert {"mail.read", "offline_access"} <= set(sorter["scopes"])


def test_new_admin_and_break_glass_sign_in_scenarios(engine: Engine) -> None:
    now = utcnow()
    seed_lab(engine, now=now)
    with Session(engine) as session:
        added = session.get(LabMembership, ("p-lee-park", "g-aws-admins"))
        group = session.get(LabGroup, "g-aws-admins")
    assert added is not None and group is not None and group.privileged
    assert now - as_utc(added.added_at) < timedelta(hours=2)
    glass = describe_identity_for_operator(engine, "break-glass-01")["recent_auth_events"]
    assert any(e["type"] == "login" and e["outcome"] == "success" for e in glass["events"])


def test_overview_counts(engine: Engine) -> None:
    summary = seed_lab(engine)
    overview = lab_overview(engine)
    assert overview["identities_by_kind"] == {
        "person": summary.people,
        "service_account": summary.service_accounts,
    }
    assert overview["break_glass"] == 2
    assert overview["auth_events_total"] == summary.auth_events
    assert sum(overview["access_keys_by_status"].values()) == summary.access_keys
    assert overview["oauth_grants_risky_active"] >= 1
