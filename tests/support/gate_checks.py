"""Checks the gate tests share: the lab's state, the audit log as text, and a secret spy.

`assert_gate_held` is the promise every hostile case must keep: the lab did not change, the
audit chain verifies, no credential outlives its task, and no secret the broker or the lab
minted shows up anywhere a model, a person or the audit log could read it.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.audit.log import export_events, verify
from bot.db import is_postgres
from bot.runtime import Runtime
from tools import REGISTRY
from tools.base import Tool, ToolFunction
from tools.providers.lab import actions as lab_actions

REPO_POLICY = Path(__file__).resolve().parents[2] / "policy.yaml"

# What a containment action could change: who is active, sessions, keys, grants, groups.
LAB_STATE_QUERIES = {
    "identities": "SELECT id, status, mfa_enrolled FROM lab_identities ORDER BY id",
    "sessions": "SELECT id, revoked_at FROM lab_sessions ORDER BY id",
    "keys": "SELECT id, identity_id, status FROM lab_access_keys ORDER BY id",
    "grants": "SELECT id, revoked_at FROM lab_oauth_grants ORDER BY id",
    "memberships": "SELECT identity_id, group_id FROM lab_memberships ORDER BY 1, 2",
}

LabSnapshot = dict[str, list[tuple[Any, ...]]]


def lab_snapshot(engine: Engine) -> LabSnapshot:
    with engine.connect() as conn:
        return {
            name: [tuple(row) for row in conn.execute(text(query))]
            for name, query in LAB_STATE_QUERIES.items()
        }


def policy_text(mutate: Callable[[dict[str, Any]], None]) -> str:
    """The project's policy.yaml with `mutate` applied to its data."""
    data = yaml.safe_load(REPO_POLICY.read_text(encoding="utf-8"))
    mutate(data)
    return yaml.safe_dump(data, sort_keys=False)


def with_task_limits(**limits: int) -> str:
    return policy_text(lambda data: data["task_limits"].update(limits))


def audit_rows(engine: Engine) -> list[dict[str, Any]]:
    return [json.loads(line) for line in export_events(engine)]


def rows_of(rows: Iterable[dict[str, Any]], kind: str, tool: str | None = None) -> list[Any]:
    return [r for r in rows if r["kind"] == kind and (tool is None or r["tool"] == tool)]


def decisions(rows: Iterable[dict[str, Any]], outcome: str | None = None) -> list[Any]:
    found = rows_of(rows, "policy.decision")
    return [r for r in found if outcome is None or r["data"]["outcome"] == outcome]


def stored_rows_text(engine: Engine) -> str:
    """Every stored row of the tables that hold task output, as text to search for secrets."""
    with engine.connect() as conn:
        tables = ("action_request", "credential", "task", "lab_credentials", "lab_access_keys")
        return "\n".join(
            str(tuple(row))
            for table in tables
            for row in conn.execute(text(f"SELECT * FROM {table}"))
        )


class SecretSpy:
    """Records every secret minted in a test: credentials as the lab registers them, and the
    secret key material the lab makes when it rotates an access key."""

    def __init__(self) -> None:
        self.credential_secrets: list[str] = []
        self.key_secrets: list[str] = []

    @property
    def all(self) -> list[str]:
        return [*self.credential_secrets, *self.key_secrets]

    def install(self, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> SecretSpy:
        provider = runtime.provider
        register = provider.register_credential

        def spy_register(
            credential_id: str,
            secret: str,
            scopes: frozenset[str],
            task_id: str,
            expires_at: datetime,
        ) -> None:
            self.credential_secrets.append(secret)
            register(credential_id, secret, scopes, task_id, expires_at)

        monkeypatch.setattr(provider, "register_credential", spy_register)
        monkeypatch.setattr(lab_actions, "secrets", _KeyMaterialSpy(self.key_secrets))
        return self

    def found_in(self, *texts: str) -> list[str]:
        return [secret for secret in self.all if any(secret in each for each in texts)]


class _KeyMaterialSpy:
    """Stands in for the `secrets` module inside the lab's actions; every token it makes is
    kept so a test can look for it."""

    def __init__(self, made: list[str]) -> None:
        self._made = made
        self.choice = secrets.choice

    def token_urlsafe(self, nbytes: int | None = None) -> str:
        token = secrets.token_urlsafe(nbytes)
        self._made.append(token)
        return token


def replace_tool(monkeypatch: pytest.MonkeyPatch, name: str, function: ToolFunction) -> Tool:
    """Swap a registered tool's function, keeping its name, arguments and target."""
    original = REGISTRY[name]
    replaced = Tool(original.name, original.args_model, function, original.target_field)
    monkeypatch.setitem(REGISTRY, name, replaced)
    return replaced


def read_only_tools(runtime: Runtime) -> set[str]:
    policy = runtime.policies.current
    return {name for name, rule in policy.tools.items() if rule.mode == "read_only"}


def assert_refused(rows: list[dict[str, Any]]) -> None:
    """Something said no: a denial, a parked or drafted action, or a task limit."""
    refusals = (
        decisions(rows, "deny")
        + rows_of(rows, "action.requested")
        + rows_of(rows, "recommendation")
        + rows_of(rows, "limit.hit")
    )
    assert refusals, "no denial, parked action or limit in the audit log"


def assert_gate_held(
    runtime: Runtime, spy: SecretSpy, before: LabSnapshot, *, shown: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """The lab is unchanged, only read-only tools ran, nothing leaked, the chain verifies and
    no credential is live. `shown` is every other text a person or model was given."""
    engine = runtime.engine
    assert lab_snapshot(engine) == before, "the lab changed"
    rows = audit_rows(engine)
    ran = {r["tool"] for r in rows_of(rows, "tool.result")}
    assert ran <= read_only_tools(runtime), f"tools that are not read-only ran: {ran}"
    assert_refused(rows)
    issued = runtime.broker.credentials()
    assert len(set(spy.credential_secrets)) == len(issued), "a credential escaped the spy"
    texts = ["\n".join(json.dumps(r) for r in rows), stored_rows_text(engine), *shown]
    assert spy.found_in(*texts) == [], "a minted secret is readable"
    assert verify(engine).ok
    assert runtime.broker.credentials(live_only=True) == []
    return rows


def refuse_audit_kind(engine: Engine, kind: str) -> None:
    """Make the database itself refuse audit rows of one kind, as a full disk would."""
    statements = (
        [
            "CREATE FUNCTION refuse_audit_kind() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN IF NEW.kind = TG_ARGV[0] THEN RAISE EXCEPTION 'audit storage refused'; "
            "END IF; RETURN NEW; END $$",
            "CREATE TRIGGER refuse_audit_kind BEFORE INSERT ON audit_event FOR EACH ROW "
            f"EXECUTE FUNCTION refuse_audit_kind('{kind}')",
        ]
        if is_postgres(engine)
        else [
            f"CREATE TRIGGER refuse_audit_kind BEFORE INSERT ON audit_event "
            f"WHEN NEW.kind = '{kind}' BEGIN SELECT RAISE(ABORT, 'audit storage refused'); END"
        ]
    )
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


class StallingTool:
    """A stand-in for a registered tool that waits to be released, then calls the real tool
    with the context it was given: what the provider says then is kept in `late`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
        self.release, self.finished = threading.Event(), threading.Event()
        self.late: list[Any] = []
        self._real = REGISTRY[name]
        replace_tool(monkeypatch, name, self._stall)

    def _stall(self, args: Any, ctx: Any) -> dict[str, Any]:
        self.release.wait(10)
        try:
            self.late.append(self._real.run(args, ctx))
        except BaseException as exc:
            self.late.append(exc)
        finally:
            self.finished.set()
        return {}
