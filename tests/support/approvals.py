"""What the approval tests share: parking an action through the real executor, executing it,
reading the audit log, and looking at the lab's sessions and identities."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from bot.audit.log import export_events
from bot.clock import utcnow
from bot.executor.dispatch import ToolOutcome
from bot.runtime import Runtime
from tools.providers.lab.views import session_state, sessions_of

REQUESTER = "alert:test"
REASON = "MFA push fatigue, then an approved push from a new country"


def park(
    runtime: Runtime,
    tool: str,
    args: Mapping[str, Any],
    *,
    requester: str = REQUESTER,
) -> str:
    """Run `tool` in a task of `requester`; the policy must park it. Returns the request id."""
    with runtime.tasks.run("triage", requester, runtime.task_limits()) as task:
        outcome = runtime.executor.call(task, tool, dict(args), actor=requester)
    assert outcome.status == "awaiting_approval", outcome
    assert outcome.request_id is not None
    return outcome.request_id


def park_revoke_sessions(runtime: Runtime, identity: str = "p-maria-chen", **kw: Any) -> str:
    return park(runtime, "revoke_sessions", {"identity": identity, "reason": REASON}, **kw)


def execute(runtime: Runtime, request_id: str, actor: str = "U0IDADMIN2") -> ToolOutcome:
    return runtime.executor.execute_approved(request_id, actor=actor, limits=runtime.task_limits())


def audit_rows(runtime: Runtime, kind: str | None = None) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in export_events(runtime.engine)]
    return [row for row in rows if kind is None or row["kind"] == kind]


def about(rows: list[dict[str, Any]], request_id: str) -> list[dict[str, Any]]:
    return [row for row in rows if row["data"].get("request_id") == request_id]


def sessions_state(runtime: Runtime, identity: str) -> list[tuple[Any, ...]]:
    """Each of the identity's sessions with its revocation time: any action shows up here."""
    query = text("SELECT id, revoked_at FROM lab_sessions WHERE identity_id = :i ORDER BY id")
    with runtime.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query, {"i": identity})]


def live_session_count(runtime: Runtime, identity: str) -> int:
    """Sessions neither revoked nor past their expiry."""
    now = utcnow()
    with Session(runtime.engine) as session:
        rows = sessions_of(session, identity)
        return sum(1 for row in rows if session_state(row, now) == "active")


def identity_status(runtime: Runtime, identity: str) -> str:
    query = text("SELECT status FROM lab_identities WHERE id = :i")
    with runtime.engine.connect() as conn:
        return str(conn.execute(query, {"i": identity}).scalar_one())


def tool_runs(runtime: Runtime, tool: str) -> int:
    """How many times the tool itself ran (one credential is issued per run)."""
    return sum(1 for record in runtime.broker.credentials() if record.tool == tool)


def set_request_columns(runtime: Runtime, request_id: str, **values: Any) -> None:
    """Change a stored request behind the app's back, as someone with database access could."""
    assignments = ", ".join(f"{column} = :{column}" for column in values)
    statement = text(f"UPDATE action_request SET {assignments} WHERE id = :request_id")
    with runtime.engine.begin() as conn:
        conn.execute(statement, {**values, "request_id": request_id})


def edit_policy(runtime: Runtime, old: str, new: str) -> None:
    """Rewrite one passage of the runtime's policy file and make the store load it now."""
    path = runtime.settings.policy_path
    before = path.read_text(encoding="utf-8")
    assert before.count(old) == 1, f"{old!r} is not one passage of the policy"
    path.write_text(before.replace(old, new), encoding="utf-8")
    version = runtime.policies.current.version
    assert runtime.policies.reload().version != version, "the edited policy did not load"
