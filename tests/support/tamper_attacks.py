"""What a database administrator can do to the audit log without socbot's key file: drop the
append-only triggers, then rewrite, remove or cut rows and recompute the unkeyed chain, or
just INSERT a well-formed row after the head."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.audit.event import AUDIT_TABLE, seal

DROP_TRIGGERS = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_event_no_update",
        "DROP TRIGGER IF EXISTS audit_event_no_delete",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
        "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
    ],
}


def drop_triggers(engine: Engine) -> None:
    with engine.begin() as conn:
        for statement in DROP_TRIGGERS[engine.dialect.name]:
            conn.exec_driver_sql(statement)


def rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        found = conn.execute(select(AUDIT_TABLE).order_by(AUDIT_TABLE.c.seq)).mappings().all()
    return [dict(row) for row in found]


def rebuild_chain(
    engine: Engine,
    edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    *,
    keep_macs: bool = True,
) -> None:
    """Drop the triggers, apply edit to all rows, renumber and recompute every hash."""
    drop_triggers(engine)
    original = rows(engine)
    edited = edit([dict(r) for r in original])
    prev, rebuilt = "0" * 64, []
    for seq, row in enumerate(edited, start=1):
        fields = {k: v for k, v in row.items() if k not in ("seq", "prev_hash", "hash", "mac")}
        new = seal(fields, seq, prev)
        new["mac"] = row["mac"] if keep_macs else None
        rebuilt.append(new)
        prev = new["hash"]
    with engine.begin() as conn:
        conn.execute(AUDIT_TABLE.delete())
        if rebuilt:
            conn.execute(AUDIT_TABLE.insert(), rebuilt)


def forge_insert(engine: Engine, data: str = '{"approver":"U0MALLORY"}') -> int:
    """One well-formed approval row after the head, with INSERT rights only."""
    last = rows(engine)[-1]
    fields = {
        "ts": last["ts"],
        "task_id": last["task_id"],
        "kind": "approval.granted",
        "actor": "U0MALLORY",
        "tool": "suspend_identity",
        "data": data,
        "policy_version": None,
        "prompt_hash": None,
        "tool_hash": None,
    }
    row = seal(fields, last["seq"] + 1, last["hash"])
    with engine.begin() as conn:
        conn.execute(AUDIT_TABLE.insert(), [row])
    return int(row["seq"])
