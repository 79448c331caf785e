"""The credential broker: per-call credentials, scoped to one tool, short-lived, always revoked.

The secret exists only in the PresentedCredential handed to the tool and in the backend that
checks it. The database and the audit log keep an id and a fingerprint, never the secret.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.audit.log import AuditLog
from bot.canonical import sha256_hex
from bot.clock import as_utc, utcnow
from bot.db import session_scope
from bot.errors import CredentialError
from bot.redaction import Redactor
from bot.tasks.backends import CredentialBackend
from bot.tasks.orphans import abandon_orphaned_tasks
from bot.tasks.owners import task_owner_dead_here
from bot.tasks.records import CredentialRecord, TaskRecord
from bot.tasks.sweep import Revocation, SweepReport, revocation_due
from tools.base import PresentedCredential

MAX_TTL_SECONDS = 900


class CredentialBroker:
    def __init__(
        self, engine: Engine, backend: CredentialBackend, audit: AuditLog, redactor: Redactor
    ) -> None:
        self._engine = engine
        self._backend = backend
        self._audit = audit
        self._redactor = redactor
        # Secrets this process issued and has not yet seen revoked, to stop redacting them then.
        self._unrevoked: dict[str, str] = {}

    @contextmanager
    def issue(
        self,
        task_id: str,
        tool: str,
        scopes: frozenset[str],
        ttl_seconds: int,
        *,
        policy_version: str | None = None,
    ) -> Iterator[PresentedCredential]:
        """A credential for one tool call, revoked when the block exits, whatever way it exits."""
        credential = self._issue(task_id, tool, scopes, ttl_seconds, policy_version)
        try:
            yield credential
        finally:
            self.revoke(credential.credential_id, reason="tool call ended", due_at=utcnow())

    def _issue(
        self,
        task_id: str,
        tool: str,
        scopes: frozenset[str],
        ttl_seconds: int,
        policy_version: str | None,
    ) -> PresentedCredential:
        if not 0 < ttl_seconds <= MAX_TTL_SECONDS:
            raise CredentialError(f"ttl {ttl_seconds}s for {tool} is outside 1..{MAX_TTL_SECONDS}s")
        credential_id = "cred_" + uuid.uuid4().hex[:16]
        issued = utcnow()
        expires = issued + timedelta(seconds=ttl_seconds)
        # The row comes first: a crash between mint and insert must leave nothing unrevokable.
        record = CredentialRecord(
            id=credential_id,
            task_id=task_id,
            tool=tool,
            scopes=json.dumps(sorted(scopes)),
            backend=self._backend.name,
            fingerprint="pending",
            issued_at=issued,
            expires_at=expires,
        )
        with session_scope(self._engine) as session:
            session.add(record)
        secret = self._backend.mint(credential_id, scopes, task_id, expires)
        self._redactor.add_secret(secret, "credential")
        self._unrevoked[credential_id] = secret
        fingerprint = sha256_hex(secret)[:16]
        try:
            self._set(credential_id, fingerprint=fingerprint)
            self._record_issue(
                task_id,
                tool,
                scopes,
                ttl_seconds,
                expires,
                policy_version,
                credential_id,
                fingerprint,
            )
        except BaseException:
            # Not on record means not usable: revoke before the original error goes up.
            with contextlib.suppress(Exception):
                self.revoke(credential_id, reason="issue not recorded", due_at=utcnow())
            raise
        return PresentedCredential(credential_id, secret, frozenset(scopes), expires)

    def _record_issue(
        self,
        task_id: str,
        tool: str,
        scopes: frozenset[str],
        ttl_seconds: int,
        expires: datetime,
        policy_version: str | None,
        credential_id: str,
        fingerprint: str,
    ) -> None:
        self._audit.record(
            "credential.issued",
            task_id=task_id,
            tool=tool,
            policy_version=policy_version,
            data={
                "credential_id": credential_id,
                "fingerprint": fingerprint,
                "scopes": sorted(scopes),
                "ttl_seconds": ttl_seconds,
                "expires_at": expires.isoformat(),
                "backend": self._backend.name,
            },
        )

    def revoke(self, credential_id: str, *, reason: str, due_at: datetime) -> Revocation | None:
        """Revoke once, verify the backend now refuses it, record the lag. None if already done."""
        record = self._get(credential_id)
        if record is None or record.revoked_at is not None:
            self._forget_secret(credential_id)
            return None
        try:
            self._backend.revoke(credential_id)
            verified = not self._backend.is_accepted(credential_id)
        except Exception as exc:
            self._revoke_failed(record, str(exc))
            raise CredentialError(f"could not revoke {credential_id}: {exc}") from exc
        if not verified:
            # Left live on record, so the sweeper tries again until the provider refuses it.
            self._revoke_failed(record, "the provider still accepts it after revocation")
            raise CredentialError(f"{credential_id} is still accepted after revocation")
        revoked_at = utcnow()
        lag_ms = max(0.0, (revoked_at - as_utc(due_at)).total_seconds() * 1000)
        if not self._mark_revoked(credential_id, revoked_at, reason, lag_ms, verified):
            self._forget_secret(credential_id)
            return None
        self._forget_secret(credential_id)
        self._audit.record(
            "credential.revoked",
            task_id=record.task_id,
            tool=record.tool,
            data={
                "credential_id": credential_id,
                "reason": reason,
                "verified": verified,
                "lag_ms": round(lag_ms, 3),
                "lifetime_ms": round(
                    (revoked_at - as_utc(record.issued_at)).total_seconds() * 1000, 3
                ),
            },
        )
        return Revocation(credential_id, verified, lag_ms)

    def _forget_secret(self, credential_id: str) -> None:
        """A revoked credential's secret is no longer redacted by the broker's hold: whoever
        still has its outputs to store holds it themselves (Executor.run_tool)."""
        secret = self._unrevoked.pop(credential_id, None)
        if secret is not None:
            self._redactor.discard_secret(secret)

    def _revoke_failed(self, record: CredentialRecord, error: str) -> None:
        self._audit.record(
            "credential.revoke_failed",
            task_id=record.task_id,
            tool=record.tool,
            data={"credential_id": record.id, "error": error[:300]},
        )

    def revoke_task(self, task_id: str, *, reason: str, ended_at: datetime) -> list[Revocation]:
        """Revoke all of a task's live credentials; one that fails does not stop the rest."""
        live = self.credentials(live_only=True, task_id=task_id)
        done, failures = self._revoke_each([(r.id, reason, ended_at) for r in live])
        if failures:
            raise CredentialError("; ".join(failures))
        return done

    def _revoke_each(
        self, due: list[tuple[str, str, datetime]]
    ) -> tuple[list[Revocation], list[str]]:
        done: list[Revocation] = []
        failures: list[str] = []
        for credential_id, reason, due_at in due:
            try:
                result = self.revoke(credential_id, reason=reason, due_at=due_at)
            except CredentialError as exc:
                failures.append(str(exc))
                continue
            if result is not None:
                done.append(result)
        return done, failures

    def sweep(self, now: datetime | None = None) -> SweepReport:
        """Revoke every live credential whose task is over, whose owner died or whose ttl passed."""
        now = now or utcnow()
        live = self.credentials(live_only=True)
        with session_scope(self._engine) as session:
            tasks = {
                t.id: t
                for t in session.exec(
                    select(TaskRecord).where(col(TaskRecord.id).in_({r.task_id for r in live}))
                )
            }
        due = [
            (record.id, *reason_and_time)
            for record in live
            if (reason_and_time := revocation_due(record, tasks.get(record.task_id), now))
        ]
        revoked, failures = self._revoke_each(due)
        abandon_orphaned_tasks(self._engine, self._audit, now, task_owner_dead_here)
        return SweepReport(examined=len(live), revoked=revoked, failed=failures)

    def credentials(
        self, *, live_only: bool = False, task_id: str | None = None
    ) -> list[CredentialRecord]:
        query = select(CredentialRecord).order_by(col(CredentialRecord.issued_at))
        if live_only:
            query = query.where(col(CredentialRecord.revoked_at).is_(None))
        if task_id is not None:
            query = query.where(CredentialRecord.task_id == task_id)
        with session_scope(self._engine) as session:
            return list(session.exec(query))

    def _get(self, credential_id: str) -> CredentialRecord | None:
        with session_scope(self._engine) as session:
            return session.get(CredentialRecord, credential_id)

    def _set(self, credential_id: str, **values: object) -> None:
        with session_scope(self._engine) as session:
            session.execute(
                update(CredentialRecord)
                .where(col(CredentialRecord.id) == credential_id)
                .values(**values)
            )

    def _mark_revoked(
        self, credential_id: str, revoked_at: datetime, reason: str, lag_ms: float, verified: bool
    ) -> bool:
        # Conditional on revoked_at IS NULL: two sweepers never both claim one revocation.
        with session_scope(self._engine) as session:
            result = session.execute(
                update(CredentialRecord)
                .where(col(CredentialRecord.id) == credential_id)
                .where(col(CredentialRecord.revoked_at).is_(None))
                .values(
                    revoked_at=revoked_at,
                    revoke_reason=reason,
                    revoke_lag_ms=lag_ms,
                    revoke_verified=verified,
                )
            )
            return bool(getattr(result, "rowcount", 0) == 1)
