"""Fixtures for the lab and the tools: a seeded lab, and credentials registered with it the
way the broker's lab backend does."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from lab_fixtures import IssueCredential, Snapshot, rows_of
from sqlalchemy.engine import Engine

from bot.clock import utcnow
from tools.base import PresentedCredential
from tools.providers.lab import LabProvider, seed_lab


@pytest.fixture
def lab(engine: Engine) -> LabProvider:
    seed_lab(engine)
    return LabProvider(engine)


@pytest.fixture
def issue(lab: LabProvider) -> IssueCredential:
    """Register a fresh credential with the lab and return what a tool would present."""

    def issue_credential(
        scopes: set[str] | frozenset[str], *, ttl_seconds: int = 60, task_id: str = "task-test"
    ) -> PresentedCredential:
        credential_id = "cred-" + secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        expires_at = utcnow() + timedelta(seconds=ttl_seconds)
        lab.register_credential(credential_id, secret, frozenset(scopes), task_id, expires_at)
        return PresentedCredential(credential_id, secret, frozenset(scopes), expires_at)

    return issue_credential


@pytest.fixture
def snapshot(engine: Engine) -> Snapshot:
    return lambda: rows_of(engine)
