"""A lease ledger: every per-call credential of any backend also held in OpenBao.

`OpenBaoLeaseLedger` wraps a CredentialBackend unchanged. Minting creates, beside the
backend's own credential, a child token of socbot's OpenBao identity through the call token
role, with the credential's TTL and its task, tool, scopes, provider and id as metadata, so
the organisation's secrets manager shows what socbot holds live and until when. The token's
secret is dropped at once: the lease is a record, and its policy grants nothing. Only its
accessor is kept (table openbao_lease), which is how the call's end, the task's end and the
sweeper revoke it. `is_accepted` is true while either the backend or OpenBao still holds it,
so the broker marks a credential revoked only once both have let it go.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel

from bot.clock import as_utc, utcnow
from bot.db import session_scope
from bot.errors import CredentialError
from bot.openbao.provision import CALL_TOKEN_ROLE, LEASE_POLICY
from bot.tasks.backends import CredentialBackend
from bot.tasks.records import CredentialRecord


class OpenBaoLease(SQLModel, table=True):
    """The accessor of the OpenBao token that mirrors one credential (not a secret)."""

    __tablename__ = "openbao_lease"

    credential_id: str = Field(primary_key=True, max_length=40)
    task_id: str = Field(index=True, max_length=40)
    accessor: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))


def _is_gone(exc: Exception) -> bool:
    """OpenBao's answer for an accessor whose token was revoked or has expired."""
    return "invalid accessor" in str(exc)


class OpenBaoLeaseLedger:
    """A CredentialBackend that is `inner` plus an OpenBao lease token per credential."""

    def __init__(
        self,
        inner: CredentialBackend,
        client: Any,
        engine: Engine,
        *,
        token_role: str = CALL_TOKEN_ROLE,
    ) -> None:
        self.inner = inner
        self.name = f"{inner.name}+openbao"
        self._client = client
        self._engine = engine
        self._token_role = token_role

    def mint(
        self, credential_id: str, scopes: frozenset[str], task_id: str, expires_at: datetime
    ) -> str:
        accessor = self._open_lease(credential_id, scopes, task_id, expires_at)
        try:
            return self.inner.mint(credential_id, scopes, task_id, expires_at)
        except BaseException:
            self._revoke_accessor(accessor)
            raise

    def revoke(self, credential_id: str) -> None:
        """Revoke at the backend and in OpenBao; both are tried even when one fails."""
        errors: list[str] = []
        try:
            self.inner.revoke(credential_id)
        except Exception as exc:
            errors.append(f"{self.inner.name}: {exc}")
        accessor = self._accessor(credential_id)
        if accessor is not None:
            try:
                self._revoke_accessor(accessor)
            except Exception as exc:
                # Someone else (an operator, its TTL) may have ended it: then it is done.
                if self._lease_at(accessor) is not None:
                    errors.append(f"openbao: {type(exc).__name__}: {str(exc)[:200]}")
        if errors:
            raise CredentialError("; ".join(errors))

    def is_accepted(self, credential_id: str) -> bool:
        if self.inner.is_accepted(credential_id):
            return True
        return self.lease(credential_id) is not None

    def health(self) -> str | None:
        """None while OpenBao answers socbot's token; else what is wrong, for /healthz."""
        try:
            self._client.auth.token.lookup_self()
        except Exception as exc:
            return f"OpenBao refused or did not answer: {type(exc).__name__}"
        return None

    def lease(self, credential_id: str) -> dict[str, Any] | None:
        """What OpenBao holds for the credential (ttl, meta, expire_time…); None once gone."""
        accessor = self._accessor(credential_id)
        return None if accessor is None else self._lease_at(accessor)

    def _lease_at(self, accessor: str) -> dict[str, Any] | None:
        try:
            return dict(self._client.auth.token.lookup_accessor(accessor)["data"])
        except Exception as exc:
            if _is_gone(exc):
                return None
            raise CredentialError(
                f"OpenBao could not say whether lease {accessor} is live: {type(exc).__name__}"
            ) from None

    def _open_lease(
        self, credential_id: str, scopes: frozenset[str], task_id: str, expires_at: datetime
    ) -> str:
        ttl = max(1, math.ceil((as_utc(expires_at) - utcnow()).total_seconds()))
        try:
            answer = self._client.auth.token.create(
                role_name=self._token_role,
                policies=[LEASE_POLICY],
                ttl=f"{ttl}s",
                renewable=False,
                display_name=credential_id,
                meta=self._metadata(credential_id, scopes, task_id),
            )
        except Exception as exc:
            raise CredentialError(
                f"OpenBao refused a lease for {credential_id}: {type(exc).__name__}: "
                f"{str(exc)[:200]}"
            ) from None
        accessor = str(answer["auth"]["accessor"])
        with session_scope(self._engine) as session:
            session.add(
                OpenBaoLease(
                    credential_id=credential_id,
                    task_id=task_id,
                    accessor=accessor,
                    created_at=utcnow(),
                )
            )
        return accessor

    def _metadata(self, credential_id: str, scopes: frozenset[str], task_id: str) -> dict[str, str]:
        with session_scope(self._engine) as session:
            record = session.get(CredentialRecord, credential_id)
        return {
            "credential_id": credential_id,
            "task_id": task_id,
            "tool": record.tool if record is not None else "",
            "scopes": ",".join(sorted(scopes)),
            "provider": self.inner.name,
            "issued_by": "socbot",
        }

    def _accessor(self, credential_id: str) -> str | None:
        with session_scope(self._engine) as session:
            lease = session.get(OpenBaoLease, credential_id)
        return lease.accessor if lease is not None else None

    def _revoke_accessor(self, accessor: str) -> None:
        try:
            self._client.auth.token.revoke_accessor(accessor)
        except Exception as exc:
            if not _is_gone(exc):
                raise
