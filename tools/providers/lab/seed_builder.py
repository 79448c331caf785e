"""Collects the rows of a lab organisation in memory, drawing every random choice from one
seeded generator so the same seed builds the same lab (times are relative to `now`)."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import SQLModel

from tools.providers.lab.models import (
    ACTIVE,
    LabAccessKey,
    LabAuthEvent,
    LabGroup,
    LabIdentity,
    LabMembership,
    LabOAuthGrant,
    LabSession,
    make_access_key_id,
)
from tools.providers.lab.seed_data import is_risky, sha_label
from tools.shared import sha256_hex

SECRET_ALPHABET = string.ascii_letters + string.digits + "/+"
SESSION_HOURS = 24


@dataclass(frozen=True)
class Home:
    """Where an identity usually comes from: its routine events and sessions use this."""

    ip: str
    country: str
    user_agent: str
    region: str = ""


@dataclass
class LabRows:
    identities: list[LabIdentity] = field(default_factory=list)
    groups: list[LabGroup] = field(default_factory=list)
    memberships: list[LabMembership] = field(default_factory=list)
    keys: list[LabAccessKey] = field(default_factory=list)
    grants: list[LabOAuthGrant] = field(default_factory=list)
    sessions: list[LabSession] = field(default_factory=list)
    events: list[LabAuthEvent] = field(default_factory=list)

    def in_insert_batches(self) -> list[list[SQLModel]]:
        """Parents, then children: flushed in this order every foreign key finds its row."""
        parents: list[SQLModel] = [*self.identities, *self.groups]
        children: list[SQLModel] = [
            *self.memberships,
            *self.keys,
            *self.grants,
            *self.sessions,
            *self.events,
        ]
        return [parents, children]


class LabBuilder:
    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.rows = LabRows()
        self.homes: dict[str, Home] = {}

    def ago(self, **delta: float) -> datetime:
        return self.now - timedelta(**delta)

    def token(self, alphabet: str, length: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    def hex_id(self, prefix: str, length: int = 12) -> str:
        return prefix + self.token("0123456789abcdef", length)

    def new_key_id(self) -> str:
        return make_access_key_id(self.rng.choice)

    def secret_sha256(self) -> str:
        """The fingerprint of a secret nobody keeps: the lab never stores or shows a secret."""
        return sha256_hex(self.token(SECRET_ALPHABET, 40))

    def add_identity(self, home: Home, **fields: Any) -> LabIdentity:
        identity = LabIdentity(**fields)
        self.rows.identities.append(identity)
        self.homes[identity.id] = home
        return identity

    def add_membership(
        self,
        identity_id: str,
        group_id: str,
        *,
        added_at: datetime | None = None,
        added_by: str = "",
    ) -> None:
        when = added_at or self.ago(days=self.rng.randint(30, 900))
        self.rows.memberships.append(
            LabMembership(
                identity_id=identity_id,
                group_id=group_id,
                added_at=when,
                added_by=added_by or "p-ana-lima",
            )
        )

    def add_key(
        self, identity_id: str, *, key_id: str | None = None, **fields: Any
    ) -> LabAccessKey:
        fields.setdefault("status", ACTIVE)
        fields.setdefault("created_at", self.ago(days=self.rng.randint(30, 700)))
        key = LabAccessKey(
            id=key_id or self.new_key_id(),
            identity_id=identity_id,
            secret_sha256=self.secret_sha256(),
            **fields,
        )
        self.rows.keys.append(key)
        return key

    def add_grant(
        self,
        identity_id: str,
        app: tuple[str, tuple[str, ...]],
        created_at: datetime,
        revoked_at: datetime | None = None,
    ) -> LabOAuthGrant:
        name, scopes = app
        grant = LabOAuthGrant(
            id=self.hex_id("grant-", 10),
            identity_id=identity_id,
            app_name=name,
            app_id=sha_label("app-", name),
            scopes=list(scopes),
            risky=is_risky(scopes),
            created_at=created_at,
            revoked_at=revoked_at,
        )
        self.rows.grants.append(grant)
        return grant

    def add_session(
        self,
        identity_id: str,
        created_at: datetime,
        *,
        home: Home | None = None,
    ) -> LabSession:
        where = home or self.homes[identity_id]
        session = LabSession(
            id=self.hex_id("sess-"),
            identity_id=identity_id,
            ip=where.ip,
            user_agent=where.user_agent,
            country=where.country,
            created_at=created_at,
            expires_at=created_at + timedelta(hours=SESSION_HOURS),
        )
        self.rows.sessions.append(session)
        return session

    def add_event(
        self,
        identity_id: str,
        at: datetime,
        event_type: str,
        outcome: str,
        *,
        home: Home | None = None,
        detail: str = "",
    ) -> None:
        where = home or self.homes[identity_id]
        self.rows.events.append(
            LabAuthEvent(
                identity_id=identity_id,
                occurred_at=at,
                event_type=event_type,
                outcome=outcome,
                ip=where.ip,
                country=where.country,
                user_agent=where.user_agent,
                detail=detail,
            )
        )

    def stamp_last_logins(self) -> None:
        """A directory's last-login field is its newest successful login: derive it once."""
        latest: dict[str, datetime] = {}
        for event in self.rows.events:
            if event.event_type == "login" and event.outcome == "success":
                previous = latest.get(event.identity_id)
                latest[event.identity_id] = max(event.occurred_at, previous or event.occurred_at)
        for identity in self.rows.identities:
            identity.last_login = latest.get(identity.id)
