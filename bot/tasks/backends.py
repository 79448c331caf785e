"""Where credentials are minted and checked: the protocol every backend meets, and the lab's."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Protocol


class CredentialBackend(Protocol):
    """Where credentials are minted and checked: the lab, later AWS STS, Okta, …"""

    name: str

    def mint(
        self, credential_id: str, scopes: frozenset[str], task_id: str, expires_at: datetime
    ) -> str: ...
    def revoke(self, credential_id: str) -> None: ...
    def is_accepted(self, credential_id: str) -> bool: ...


class LabCredentialBackend:
    """Credentials the lab provider itself checks on every call."""

    name = "lab"

    def __init__(self, lab: LabCredentialStore) -> None:
        self._lab = lab

    def mint(
        self, credential_id: str, scopes: frozenset[str], task_id: str, expires_at: datetime
    ) -> str:
        secret = "scb_" + secrets.token_urlsafe(32)
        self._lab.register_credential(credential_id, secret, scopes, task_id, expires_at)
        return secret

    def revoke(self, credential_id: str) -> None:
        self._lab.revoke_credential(credential_id)

    def is_accepted(self, credential_id: str) -> bool:
        return self._lab.credential_accepted_by_id(credential_id)


class LabCredentialStore(Protocol):
    def register_credential(
        self,
        credential_id: str,
        secret: str,
        scopes: frozenset[str],
        task_id: str,
        expires_at: datetime,
    ) -> None: ...
    def revoke_credential(self, credential_id: str) -> datetime | None: ...
    def credential_accepted_by_id(self, credential_id: str) -> bool: ...
