"""The lab's credential records: fingerprints only, live until revoked or expired."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.canonical import sha256_hex
from bot.clock import as_utc, utcnow
from bot.errors import CredentialRefused
from tools.providers.lab import LabProvider
from tools.providers.lab.models import LabCredential

SECRET = "s3cr3t-value-the-broker-made"


def register(lab: LabProvider, credential_id: str = "cred-a", **overrides: object) -> None:
    fields: dict[str, object] = {
        "secret": SECRET,
        "scopes": frozenset({"directory:read"}),
        "task_id": "task-1",
        "expires_at": utcnow() + timedelta(minutes=5),
    }
    fields.update(overrides)
    lab.register_credential(credential_id, **fields)  # type: ignore[arg-type]


def test_registered_credential_is_accepted_until_revoked(lab: LabProvider) -> None:
    register(lab)
    assert lab.credential_accepted(SECRET)
    assert lab.credential_accepted_by_id("cred-a")
    revoked_at = lab.revoke_credential("cred-a")
    assert revoked_at is not None and abs(utcnow() - revoked_at) < timedelta(minutes=1)
    assert not lab.credential_accepted(SECRET)
    assert not lab.credential_accepted_by_id("cred-a")
    assert lab.revoke_credential("cred-a") == revoked_at  # the first revocation stands


def test_unknown_credentials(lab: LabProvider) -> None:
    assert lab.revoke_credential("cred-never") is None
    assert not lab.credential_accepted("never-issued")
    assert not lab.credential_accepted_by_id("cred-never")


def test_expiry(lab: LabProvider) -> None:
    expires_at = utcnow() + timedelta(minutes=5)
    register(lab, expires_at=expires_at)
    assert lab.credential_accepted(SECRET, now=expires_at - timedelta(seconds=1))
    assert not lab.credential_accepted(SECRET, now=expires_at)
    assert not lab.credential_accepted_by_id("cred-a", now=expires_at + timedelta(seconds=1))
    register(lab, "cred-b", secret="another", expires_at=utcnow() - timedelta(seconds=1))
    assert not lab.credential_accepted("another")


def test_only_a_fingerprint_is_stored(lab: LabProvider, engine: Engine) -> None:
    register(lab, scopes=frozenset({"keys:read", "directory:read"}), task_id="task-9")
    with Session(engine) as session:
        record = session.exec(select(LabCredential)).one()
    assert record.secret_sha256 == sha256_hex(SECRET)
    assert SECRET not in repr(record.model_dump())
    assert record.scopes == ["directory:read", "keys:read"] and record.task_id == "task-9"
    assert as_utc(record.issued_at) <= utcnow() < as_utc(record.expires_at)


def test_an_id_or_secret_cannot_be_registered_twice(lab: LabProvider) -> None:
    register(lab)
    with pytest.raises(CredentialRefused, match="already registered"):
        register(lab, secret="different")
    with pytest.raises(CredentialRefused, match="empty secret"):
        register(lab, "cred-empty", secret="")
