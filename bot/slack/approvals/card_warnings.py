"""Warnings an approval card carries, read from the record, not from what the model wrote:
the target is not an identity the alert or the asker named, or the task that asked for the
action saw input flagged as a likely prompt injection."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.actions.requests import ActionRequest
from bot.audit.event import AuditEvent, EventKind
from bot.db import session_scope
from bot.executor.target_scope import target_in_scope
from bot.slack.blocks.escape import inline_code

NOT_NAMED = (
    ":warning: *Target not named by the alert*: {target} is not the alert's actor or target "
    "(nor named by whoever asked). Check why the model chose it."
)
INJECTION = (
    ":rotating_light: *Likely prompt injection*: input to the task that asked for this "
    "action looked like instructions to the model ({markers}). Treat the request as suspect."
)


def card_warnings(engine: Engine, request: ActionRequest) -> list[str]:
    warnings = []
    evidence = json.loads(request.evidence_json or "{}")
    if target_in_scope(request.target_aliases, evidence) is False:
        warnings.append(NOT_NAMED.format(target=inline_code(request.target or "?", 120)))
    markers = injection_markers_of(engine, request.task_id)
    if markers:
        shown = ", ".join(inline_code(m, 60) for m in markers[:3])
        warnings.append(INJECTION.format(markers=shown))
    return warnings


def injection_markers_of(engine: Engine, task_id: str) -> Sequence[str]:
    query = select(AuditEvent.data).where(
        AuditEvent.task_id == task_id, AuditEvent.kind == EventKind.INJECTION_SUSPECT.value
    )
    with session_scope(engine) as session:
        rows = session.exec(query).all()
    markers: list[str] = []
    for data in rows:
        found = json.loads(data).get("markers") or ["flagged"]
        markers += [str(m) for m in found if str(m) not in markers]
    return markers
