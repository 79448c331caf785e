"""The lab's tables: a small simulated organisation living in the project database.

Every table name starts with `lab_`, so seeding can replace the organisation without touching
anything else. Datetimes are stored timezone-aware; SQLite hands them back naive (see
bot.clock.as_utc). No secret is ever stored: keys and credentials keep a sha256 only.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import JSON, DateTime
from sqlmodel import Field, SQLModel

PERSON = "person"
SERVICE_ACCOUNT = "service_account"
ACTIVE = "active"
SUSPENDED = "suspended"
INACTIVE = "inactive"
ACCESS_KEY_ALPHABET = string.ascii_uppercase + "234567"


def make_access_key_id(choose: Callable[[str], str]) -> str:
    """An AWS-shaped key id: AKIA and 16 characters, each picked by `choose`."""
    return "AKIA" + "".join(choose(ACCESS_KEY_ALPHABET) for _ in range(16))


def _utc_field(*, nullable: bool = False, index: bool = False) -> datetime:
    default = None if nullable else ...
    return Field(default=default, sa_type=DateTime(timezone=True), nullable=nullable, index=index)


class LabIdentity(SQLModel, table=True):
    __tablename__ = "lab_identities"

    id: str = Field(primary_key=True, max_length=120)
    kind: str = Field(max_length=20)  # person | service_account
    name: str = Field(max_length=200, unique=True)
    email: str | None = Field(default=None, max_length=200, unique=True)
    arn: str | None = Field(default=None, max_length=200, unique=True)
    slack_user_id: str | None = Field(default=None, max_length=20, unique=True)
    department: str = Field(default="", max_length=80)
    title: str = Field(default="", max_length=120)
    owner_id: str | None = Field(default=None, max_length=120)  # service accounts' human owner
    status: str = Field(default=ACTIVE, max_length=20)  # active | suspended
    privileged: bool = False  # holds privilege directly, not only through a group
    break_glass: bool = False
    mfa_enrolled: bool = False
    mfa_factors: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = _utc_field()
    last_login: datetime | None = _utc_field(nullable=True)


class LabGroup(SQLModel, table=True):
    __tablename__ = "lab_groups"

    id: str = Field(primary_key=True, max_length=120)
    name: str = Field(max_length=200, unique=True)
    description: str = Field(default="", max_length=300)
    privileged: bool = False
    grants: list[str] = Field(default_factory=list, sa_type=JSON)  # roles and permissions


class LabMembership(SQLModel, table=True):
    __tablename__ = "lab_memberships"

    identity_id: str = Field(foreign_key="lab_identities.id", primary_key=True, max_length=120)
    group_id: str = Field(foreign_key="lab_groups.id", primary_key=True, max_length=120)
    added_at: datetime = _utc_field()
    added_by: str = Field(default="", max_length=120)


class LabAccessKey(SQLModel, table=True):
    __tablename__ = "lab_access_keys"

    id: str = Field(primary_key=True, max_length=128)
    identity_id: str = Field(foreign_key="lab_identities.id", index=True, max_length=120)
    status: str = Field(default=ACTIVE, max_length=20)  # active | inactive
    created_at: datetime = _utc_field()
    last_used_at: datetime | None = _utc_field(nullable=True)
    last_used_ip: str | None = Field(default=None, max_length=64)
    last_used_region: str | None = Field(default=None, max_length=40)
    secret_sha256: str = Field(max_length=64)


class LabOAuthGrant(SQLModel, table=True):
    __tablename__ = "lab_oauth_grants"

    id: str = Field(primary_key=True, max_length=120)
    identity_id: str = Field(foreign_key="lab_identities.id", index=True, max_length=120)
    app_name: str = Field(max_length=200)
    app_id: str = Field(max_length=120)
    scopes: list[str] = Field(default_factory=list, sa_type=JSON)
    risky: bool = False
    created_at: datetime = _utc_field()
    revoked_at: datetime | None = _utc_field(nullable=True)


class LabSession(SQLModel, table=True):
    __tablename__ = "lab_sessions"

    id: str = Field(primary_key=True, max_length=120)
    identity_id: str = Field(foreign_key="lab_identities.id", index=True, max_length=120)
    ip: str = Field(max_length=64)
    user_agent: str = Field(max_length=300)
    country: str = Field(max_length=2)
    created_at: datetime = _utc_field()
    expires_at: datetime = _utc_field()
    revoked_at: datetime | None = _utc_field(nullable=True)


class LabAuthEvent(SQLModel, table=True):
    __tablename__ = "lab_auth_events"

    id: int | None = Field(default=None, primary_key=True)
    identity_id: str = Field(foreign_key="lab_identities.id", index=True, max_length=120)
    occurred_at: datetime = _utc_field(index=True)
    event_type: str = Field(max_length=40)  # login, mfa_push, password_reset, api_call …
    outcome: str = Field(max_length=20)  # success, failure, denied, approved …
    ip: str = Field(max_length=64)
    country: str = Field(max_length=2)
    user_agent: str = Field(max_length=300)
    detail: str = Field(default="", max_length=300)


class LabCredential(SQLModel, table=True):
    """The lab's record of a credential the broker issued: an id and a fingerprint only."""

    __tablename__ = "lab_credentials"

    credential_id: str = Field(primary_key=True, max_length=120)
    secret_sha256: str = Field(max_length=64, unique=True)
    scopes: list[str] = Field(default_factory=list, sa_type=JSON)
    task_id: str = Field(max_length=120, index=True)
    issued_at: datetime = _utc_field()
    expires_at: datetime = _utc_field()
    revoked_at: datetime | None = _utc_field(nullable=True)


SEEDED_TABLES: tuple[type[SQLModel], ...] = (
    # Children first, so deleting in this order never trips a foreign key.
    LabAuthEvent,
    LabSession,
    LabOAuthGrant,
    LabAccessKey,
    LabMembership,
    LabGroup,
    LabIdentity,
)
