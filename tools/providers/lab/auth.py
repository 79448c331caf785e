"""The lab's side of per-task credentials: the broker registers each one it issues, and every
provider call must present a live one holding the scopes the call needs.

Only a sha256 of each secret is stored. A credential is refused when its secret is unknown,
when the id presented does not match it, when it is revoked or expired, or when it lacks a
scope; the refusal happens before the lab reads or changes anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, select

from tools.base import PresentedCredential
from tools.errors import CredentialRefused
from tools.providers.lab.models import LabCredential
from tools.shared import as_utc, sha256_hex, utcnow


def register(
    session: Session,
    credential_id: str,
    secret: str,
    scopes: Iterable[str],
    task_id: str,
    expires_at: datetime,
) -> None:
    if not secret:
        raise CredentialRefused(f"credential {credential_id} has an empty secret: issue a new one")
    if session.get(LabCredential, credential_id) is not None:
        raise CredentialRefused(f"credential {credential_id} is already registered with the lab")
    session.add(
        LabCredential(
            credential_id=credential_id,
            secret_sha256=sha256_hex(secret),
            scopes=sorted(set(scopes)),
            task_id=task_id,
            issued_at=utcnow(),
            expires_at=as_utc(expires_at),
        )
    )


def revoke(session: Session, credential_id: str) -> datetime | None:
    """Revoke once; revoking again returns the first revocation time. None: never registered."""
    record = session.get(LabCredential, credential_id)
    if record is None:
        return None
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        session.add(record)
    return as_utc(record.revoked_at)


def find_by_secret(session: Session, secret: str) -> LabCredential | None:
    query = select(LabCredential).where(LabCredential.secret_sha256 == sha256_hex(secret))
    return session.exec(query).first()


def is_live(record: LabCredential | None, now: datetime) -> bool:
    return record is not None and record.revoked_at is None and as_utc(record.expires_at) > now


def authorise(
    session: Session, cred: PresentedCredential, needed: frozenset[str], operation: str
) -> LabCredential:
    """The presented credential's lab record, or CredentialRefused saying what is wrong."""
    record = find_by_secret(session, cred.secret)
    name = f"credential {cred.credential_id}"
    if record is None or record.credential_id != cred.credential_id:
        raise CredentialRefused(f"{name} is not known to the lab: the broker must issue one")
    if record.revoked_at is not None:
        when = as_utc(record.revoked_at).isoformat(timespec="seconds")
        raise CredentialRefused(f"{name} was revoked at {when}: its task has ended")
    if as_utc(record.expires_at) <= utcnow():
        when = as_utc(record.expires_at).isoformat(timespec="seconds")
        raise CredentialRefused(f"{name} expired at {when}: issue a fresh one for this call")
    missing = needed - set(record.scopes)
    if missing:
        raise CredentialRefused(
            f"{name} lacks scope {', '.join(sorted(missing))} needed for {operation}: "
            "the policy rule for this tool must grant it"
        )
    return record
