"""The tables of tasks and their credentials: what ran, for whom, and what it was allowed.

A credential row keeps an id, its scopes and a fingerprint, never the secret.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import Field, SQLModel


class TaskRecord(SQLModel, table=True):
    __tablename__ = "task"

    id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(index=True, max_length=20)
    actor: str = Field(max_length=120)
    status: str = Field(default="running", index=True, max_length=20)
    started_at: datetime
    deadline_at: datetime
    ended_at: datetime | None = Field(default=None, index=True)
    owner_host: str = Field(max_length=255)
    owner_pid: int
    summary: str | None = Field(default=None, max_length=500)


class CredentialRecord(SQLModel, table=True):
    __tablename__ = "credential"

    id: str = Field(primary_key=True, max_length=40)
    task_id: str = Field(index=True, max_length=40)
    tool: str = Field(max_length=80)
    scopes: str = Field(description="JSON list of scopes")
    backend: str = Field(max_length=40)
    fingerprint: str = Field(max_length=16)
    issued_at: datetime
    expires_at: datetime = Field(index=True)
    revoked_at: datetime | None = Field(default=None, index=True)
    revoke_reason: str | None = Field(default=None, max_length=120)
    revoke_lag_ms: float | None = None
    revoke_verified: bool | None = None

    @property
    def scope_list(self) -> list[str]:
        return list(json.loads(self.scopes))
