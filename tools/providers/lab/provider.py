"""LabProvider: the embedded provider. Every call authenticates its credential first, in the
same transaction as the work, so a refused credential leaves the lab exactly as it was."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from tools.base import PresentedCredential, TargetInfo
from tools.providers.lab import actions, auth
from tools.providers.lab.blast import blast_radius_view
from tools.providers.lab.lookup import find_identity
from tools.providers.lab.lookup import resolve_target as resolve_in
from tools.providers.lab.models import LabCredential
from tools.providers.lab.operator import describe_identity_for_operator, lab_overview
from tools.providers.lab.views import (
    auth_events_view,
    grants_view,
    identity_view,
    keys_view,
    sessions_view,
)
from tools.shared import session_scope, utcnow

__all__ = ["SCOPES", "LabProvider", "describe_identity_for_operator", "lab_overview"]

SCOPES: dict[str, frozenset[str]] = {
    "resolve_target": frozenset({"directory:read"}),
    "get_identity": frozenset({"directory:read"}),
    "list_sessions": frozenset({"sessions:read"}),
    "list_access_keys": frozenset({"keys:read"}),
    "list_oauth_grants": frozenset({"grants:read"}),
    "recent_auth_events": frozenset({"authlog:read"}),
    "assess_blast_radius": frozenset({"directory:read", "keys:read", "grants:read"}),
    "revoke_sessions": frozenset({"sessions:revoke"}),
    "suspend_identity": frozenset({"identity:suspend"}),
    "deactivate_access_key": frozenset({"keys:deactivate"}),
    "rotate_access_key": frozenset({"keys:rotate"}),
    "revoke_oauth_grant": frozenset({"grants:revoke"}),
    "reset_mfa": frozenset({"mfa:reset"}),
    "remove_from_group": frozenset({"groups:write"}),
}


class LabProvider:
    name = "lab"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def _authorised(self, cred: PresentedCredential, operation: str) -> Iterator[Session]:
        with session_scope(self.engine) as session:
            auth.authorise(session, cred, SCOPES[operation], operation)
            yield session

    # Reads.

    def resolve_target(self, cred: PresentedCredential, ref: str) -> TargetInfo:
        with self._authorised(cred, "resolve_target") as session:
            return resolve_in(session, ref)

    def get_identity(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        with self._authorised(cred, "get_identity") as session:
            return identity_view(session, find_identity(session, identity))

    def list_sessions(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        with self._authorised(cred, "list_sessions") as session:
            return sessions_view(session, find_identity(session, identity), utcnow())

    def list_access_keys(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        with self._authorised(cred, "list_access_keys") as session:
            return keys_view(session, find_identity(session, identity), utcnow())

    def list_oauth_grants(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        with self._authorised(cred, "list_oauth_grants") as session:
            return grants_view(session, find_identity(session, identity))

    def recent_auth_events(
        self, cred: PresentedCredential, identity: str, hours: int, limit: int
    ) -> dict[str, Any]:
        with self._authorised(cred, "recent_auth_events") as session:
            found = find_identity(session, identity)
            return auth_events_view(session, found, hours, limit, utcnow())

    def assess_blast_radius(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        with self._authorised(cred, "assess_blast_radius") as session:
            return blast_radius_view(session, find_identity(session, identity), utcnow())

    # Actions.

    def revoke_sessions(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        with self._authorised(cred, "revoke_sessions") as session:
            return actions.revoke_sessions(session, identity, utcnow())

    def suspend_identity(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        with self._authorised(cred, "suspend_identity") as session:
            return actions.suspend_identity(session, identity)

    def deactivate_access_key(self, cred: PresentedCredential, key_id: str) -> dict[str, Any]:
        with self._authorised(cred, "deactivate_access_key") as session:
            return actions.deactivate_access_key(session, key_id)

    def rotate_access_key(self, cred: PresentedCredential, key_id: str) -> dict[str, Any]:
        with self._authorised(cred, "rotate_access_key") as session:
            return actions.rotate_access_key(session, key_id, utcnow())

    def revoke_oauth_grant(self, cred: PresentedCredential, grant_id: str) -> dict[str, Any]:
        with self._authorised(cred, "revoke_oauth_grant") as session:
            return actions.revoke_oauth_grant(session, grant_id, utcnow())

    def reset_mfa(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        with self._authorised(cred, "reset_mfa") as session:
            return actions.reset_mfa(session, identity)

    def remove_from_group(
        self, cred: PresentedCredential, identity: str, group: str
    ) -> dict[str, Any]:
        with self._authorised(cred, "remove_from_group") as session:
            return actions.remove_from_group(session, identity, group)

    # Credential bookkeeping for the broker's lab backend (not part of the Provider protocol).

    def register_credential(
        self,
        credential_id: str,
        secret: str,
        scopes: frozenset[str],
        task_id: str,
        expires_at: datetime,
    ) -> None:
        with session_scope(self.engine) as session:
            auth.register(session, credential_id, secret, scopes, task_id, expires_at)

    def revoke_credential(self, credential_id: str) -> datetime | None:
        with session_scope(self.engine) as session:
            return auth.revoke(session, credential_id)

    def credential_accepted(self, secret: str, now: datetime | None = None) -> bool:
        with session_scope(self.engine) as session:
            return auth.is_live(auth.find_by_secret(session, secret), now or utcnow())

    def credential_accepted_by_id(self, credential_id: str, now: datetime | None = None) -> bool:
        with session_scope(self.engine) as session:
            record = session.get(LabCredential, credential_id)
            return auth.is_live(record, now or utcnow())
