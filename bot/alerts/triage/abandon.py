"""What a triage that fails leaves behind: its parked requests are withdrawn, not orphaned.

A triage that raises is never posted, so the approval cards of the actions it parked are
never posted either, and the queue's retry parks the same actions again under a new task.
Each failed attempt would leave one more pending request that no approver can see. The
failing task's open requests are withdrawn instead, each with its audit row, in the same
transaction as the status change; the retry proposes again and its post carries the cards.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.actions.requests import PENDING, RECOMMENDED, WITHDRAWN, ActionRequest
from bot.actions.store import lock_request, set_status
from bot.audit.log import AuditLog
from bot.db import session_scope

ABANDONED_STATUSES = (PENDING, RECOMMENDED)


def withdraw_unposted(engine: Engine, audit: AuditLog, task_id: str, reason: str) -> list[str]:
    """Withdraw the task's still-open requests; the ids withdrawn."""
    query = select(ActionRequest.id).where(
        ActionRequest.task_id == task_id, col(ActionRequest.status).in_(ABANDONED_STATUSES)
    )
    with session_scope(engine) as session:
        candidates = sorted(session.exec(query))
    withdrawn = []
    for request_id in candidates:
        with session_scope(engine) as session:
            request = lock_request(session, request_id)
            if request.status not in ABANDONED_STATUSES:
                continue  # an approver got there first; leave it to them
            set_status(session, request, WITHDRAWN, reason[:500])
            audit.record(
                "action.withdrawn",
                task_id=task_id,
                tool=request.tool,
                policy_version=request.policy_version,
                data={"request_id": request.id, "reason": reason[:500]},
                session=session,
            )
            withdrawn.append(request_id)
    return withdrawn
