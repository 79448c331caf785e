"""Actions change the lab for good, say what changed, and never hand back a secret."""

from __future__ import annotations

import pytest
from lab_fixtures import IssueCredential, Snapshot
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.canonical import sha256_hex
from bot.errors import NotFound, ProviderError
from tools.base import PresentedCredential
from tools.providers.lab import LabProvider
from tools.providers.lab.models import LabAccessKey, LabIdentity, LabMembership

READ_SCOPES = frozenset(
    {"directory:read", "sessions:read", "keys:read", "grants:read", "authlog:read"}
)


def fresh_view(engine: Engine, issue: IssueCredential) -> tuple[LabProvider, PresentedCredential]:
    """A new provider over the same database: what it sees was persisted."""
    return LabProvider(engine), issue(READ_SCOPES)


def test_revoke_sessions_persists(lab: LabProvider, issue: IssueCredential, engine: Engine) -> None:
    result = lab.revoke_sessions(issue({"sessions:revoke"}), "maria.chen@lab.example")
    assert result["identity"] == "p-maria-chen" and result["revoked_count"] == 3
    assert result["changed"]
    other, reader = fresh_view(engine, issue)
    sessions = other.list_sessions(reader, "p-maria-chen")
    assert sessions["active_count"] == 0
    revoked = {s["session_id"] for s in sessions["sessions"] if s["state"] == "revoked"}
    assert revoked == set(result["revoked_session_ids"])
    again = lab.revoke_sessions(issue({"sessions:revoke"}), "p-maria-chen")
    assert again["revoked_count"] == 0 and not again["changed"]


def test_suspend_identity_persists_and_touches_nobody_else(
    lab: LabProvider, issue: IssueCredential, engine: Engine
) -> None:
    with Session(engine) as session:
        before = {i.id: i.status for i in session.exec(select(LabIdentity)).all()}
    result = lab.suspend_identity(issue({"identity:suspend"}), "Maria Chen")
    assert result == {
        "identity": "p-maria-chen",
        "previous_status": "active",
        "status": "suspended",
        "changed": True,
    }
    with Session(engine) as session:
        after = {i.id: i.status for i in session.exec(select(LabIdentity)).all()}
    assert after == {**before, "p-maria-chen": "suspended"}
    assert not lab.suspend_identity(issue({"identity:suspend"}), "p-maria-chen")["changed"]


def test_deactivate_access_key_persists(
    lab: LabProvider, issue: IssueCredential, engine: Engine
) -> None:
    result = lab.deactivate_access_key(issue({"keys:deactivate"}), "akiaexamplecideploy1")
    assert result["key_id"] == "AKIAEXAMPLECIDEPLOY1" and result["identity"] == "svc-ci-deployer"
    assert result["previous_status"] == "active" and result["status"] == "inactive"
    with Session(engine) as session:
        key = session.get(LabAccessKey, "AKIAEXAMPLECIDEPLOY1")
    assert key is not None and key.status == "inactive"


def test_rotate_access_key_replaces_the_key_without_showing_a_secret(
    lab: LabProvider, issue: IssueCredential, engine: Engine
) -> None:
    result = lab.rotate_access_key(issue({"keys:rotate"}), "AKIAEXAMPLECIDEPLOY1")
    assert set(result) == {
        "identity",
        "old_key_id",
        "old_status",
        "new_key_id",
        "new_status",
        "secret_delivery",
        "changed",
    }
    with Session(engine) as session:
        old = session.get(LabAccessKey, "AKIAEXAMPLECIDEPLOY1")
        new = session.get(LabAccessKey, result["new_key_id"])
    assert old is not None and old.status == "inactive"
    assert new is not None and new.status == "active" and new.identity_id == "svc-ci-deployer"
    assert new.id.startswith("AKIA") and len(new.id) == 20
    assert all(sha256_hex(str(value)) != new.secret_sha256 for value in result.values())
    assert "secret store" in result["secret_delivery"]
    with pytest.raises(ProviderError, match="already inactive"):
        lab.rotate_access_key(issue({"keys:rotate"}), "AKIAEXAMPLECIDEPLOY1")


def test_revoke_oauth_grant_persists(
    lab: LabProvider, issue: IssueCredential, engine: Engine
) -> None:
    reader = issue(READ_SCOPES)
    [grant] = [
        g
        for g in lab.list_oauth_grants(reader, "p-tom-becker")["grants"]
        if g["app_name"] == "Mail Sorter Pro"
    ]
    result = lab.revoke_oauth_grant(issue({"grants:revoke"}), grant["grant_id"])
    assert result["changed"] and result["revoked_at"] and result["identity"] == "p-tom-becker"
    other, fresh = fresh_view(engine, issue)
    grants = other.list_oauth_grants(fresh, "p-tom-becker")
    [after] = [g for g in grants["grants"] if g["grant_id"] == grant["grant_id"]]
    assert after["state"] == "revoked" and after["revoked_at"] == result["revoked_at"]


def test_reset_mfa_persists(lab: LabProvider, issue: IssueCredential) -> None:
    reader = issue(READ_SCOPES)
    factors = lab.get_identity(reader, "p-maria-chen")["mfa"]["factors"]
    result = lab.reset_mfa(issue({"mfa:reset"}), "p-maria-chen")
    assert result["factors_removed"] == factors and result["mfa_enrolled"] is False
    assert lab.get_identity(reader, "p-maria-chen")["mfa"] == {"enrolled": False, "factors": []}


def test_remove_from_group_deletes_the_membership(
    lab: LabProvider, issue: IssueCredential, engine: Engine
) -> None:
    writer = issue({"groups:write"})
    result = lab.remove_from_group(writer, "p-lee-park", "AWS Administrators")
    assert result["removed"] and result["group"] == "g-aws-admins" and result["group_privileged"]
    with Session(engine) as session:
        assert session.get(LabMembership, ("p-lee-park", "g-aws-admins")) is None
    assert not lab.remove_from_group(writer, "p-lee-park", "g-aws-admins")["removed"]
    with pytest.raises(NotFound, match="group"):
        lab.remove_from_group(writer, "p-lee-park", "g-no-such-group")


@pytest.mark.parametrize(
    ("method", "ref"),
    [
        ("suspend_identity", "p-nobody"),
        ("revoke_sessions", "p-nobody"),
        ("reset_mfa", "p-nobody"),
        ("deactivate_access_key", "AKIANOSUCHKEY0000000"),
        ("rotate_access_key", "AKIANOSUCHKEY0000000"),
        ("revoke_oauth_grant", "grant-nosuchgrant"),
    ],
)
def test_unknown_targets_change_nothing(
    lab: LabProvider, issue: IssueCredential, snapshot: Snapshot, method: str, ref: str
) -> None:
    scopes = {
        "identity:suspend",
        "sessions:revoke",
        "mfa:reset",
        "keys:deactivate",
        "keys:rotate",
        "grants:revoke",
    }
    before = snapshot()
    with pytest.raises(NotFound):
        getattr(lab, method)(issue(scopes), ref)
    assert snapshot() == before
