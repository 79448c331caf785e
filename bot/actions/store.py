"""Where parked actions live: stored, listed, expired, claimed once and finished.

Every status change here is audited in the same transaction as the change itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.actions.requests import (
    APPROVED,
    EXECUTED,
    EXECUTING,
    EXPIRED,
    FAILED,
    OPEN_STATUSES,
    PENDING,
    RECOMMENDED,
    UNKNOWN,
    ActionRequest,
    Approval,
)
from bot.canonical import canonical_json
from bot.clock import as_utc, utcnow
from bot.db import session_scope
from bot.errors import ApprovalError

if TYPE_CHECKING:
    from bot.audit.log import AuditLog


@dataclass(frozen=True)
class AuditEntry:
    """An audit row to write together with a status change."""

    kind: str
    fields: dict[str, Any]


class ActionStore:
    def __init__(self, engine: Engine, audit: AuditLog) -> None:
        self._engine = engine
        self._audit = audit

    def park(self, request: ActionRequest, *, kind: str = "action.requested") -> ActionRequest:
        """Store a parked action (or a drafted recommendation) and audit it in one transaction."""
        with session_scope(self._engine) as session:
            session.add(request)
            session.flush()
            self._audit.record(
                kind,
                task_id=request.task_id,
                actor=request.requester,
                tool=request.tool,
                policy_version=request.policy_version,
                session=session,
                data={
                    "request_id": request.id,
                    "args": request.args,
                    "target": request.target,
                    "action_hash": request.action_hash,
                    "rule": request.policy_rule,
                    "quorum": request.quorum,
                    "status": request.status,
                    "expires_at": None
                    if request.expires_at is None
                    else as_utc(request.expires_at).isoformat(),
                },
            )
        return request

    def new_request_id(self) -> str:
        return "act_" + uuid.uuid4().hex[:12]

    def open_request_with_hash(self, action_hash: str) -> ActionRequest | None:
        """A pending action or a draft with this exact action hash, if one is stored."""
        expires = col(ActionRequest.expires_at)
        query = select(ActionRequest).where(
            ActionRequest.action_hash == action_hash,
            col(ActionRequest.status).in_((PENDING, RECOMMENDED)),
            or_(expires.is_(None), expires > utcnow()),
        )
        with session_scope(self._engine) as session:
            return session.exec(query).first()

    def get(self, request_id: str) -> ActionRequest:
        with session_scope(self._engine) as session:
            request = session.get(ActionRequest, request_id)
        if request is None:
            raise ApprovalError(f"no action request {request_id!r}; see `socbot actions list`")
        return request

    def list_requests(self, status: str | None = None, limit: int = 100) -> list[ActionRequest]:
        query = select(ActionRequest).order_by(col(ActionRequest.created_at).desc()).limit(limit)
        if status is not None:
            query = query.where(ActionRequest.status == status)
        with session_scope(self._engine) as session:
            return list(session.exec(query))

    def approvals_of(self, request_id: str, *, counted_only: bool = True) -> list[Approval]:
        query = select(Approval).where(Approval.request_id == request_id)
        if counted_only:
            query = query.where(col(Approval.withdrawn_at).is_(None))
        with session_scope(self._engine) as session:
            return list(session.exec(query.order_by(col(Approval.created_at))))

    def expire_due(self, now: datetime | None = None) -> list[str]:
        """Expire every open request past its window, each in its own short transaction.

        Rows are locked before the audit chain, the order decide() takes them in, and the
        status is read again under the lock, so a claim that won the race is left alone.
        """
        now = now or utcnow()
        query = select(ActionRequest.id).where(
            col(ActionRequest.status).in_(OPEN_STATUSES), col(ActionRequest.expires_at) <= now
        )
        with session_scope(self._engine) as session:
            candidates = sorted(session.exec(query))
        expired = []
        for request_id in candidates:
            with session_scope(self._engine) as session:
                request = lock_request(session, request_id)
                if request.status in OPEN_STATUSES:
                    self._expire(session, request)
                    expired.append(request_id)
        return expired

    def _expire(self, session: Session, request: ActionRequest) -> None:
        set_status(session, request, EXPIRED, "approval window passed")
        self._audit.record(
            "action.expired",
            task_id=request.task_id,
            tool=request.tool,
            data={"request_id": request.id, "expired_at": as_utc(request.expires_at or utcnow())},
            session=session,
        )

    def claim_for_execution(self, request_id: str, execution_task_id: str) -> ActionRequest | None:
        """approved → executing, atomically: of any number of callers exactly one wins.

        An approval left past its window is expired here, as the sweeper would, not run."""
        now = utcnow()
        expires = col(ActionRequest.expires_at)
        with session_scope(self._engine) as session:
            result = session.execute(
                update(ActionRequest)
                .where(col(ActionRequest.id) == request_id, col(ActionRequest.status) == APPROVED)
                .where(or_(expires.is_(None), expires > now))
                .values(status=EXECUTING, execution_task_id=execution_task_id)
            )
            claimed = getattr(result, "rowcount", 0) == 1
        if not claimed:
            self.expire_due(now)
            return None
        return self.get(request_id)

    def finish(
        self,
        request_id: str,
        status: str,
        reason: str,
        result: Any = None,
        *,
        audit: AuditEntry | None = None,
    ) -> bool:
        """executing → a final status, with its audit row in the same transaction. False when
        the request had already left `executing` (its outcome is on record; keep it)."""
        with session_scope(self._engine) as session:
            request = lock_request(session, request_id)
            if request.status != EXECUTING:
                return False
            request.status = status
            request.status_reason = reason[:500]
            request.result_json = None if result is None else canonical_json(result)
            if status in (EXECUTED, FAILED, UNKNOWN):
                request.executed_at = utcnow()
            session.add(request)
            if audit is not None:
                self._audit.record(audit.kind, session=session, **audit.fields)
        return True

    def set_slack_message(self, request_id: str, channel: str, ts: str) -> None:
        with session_scope(self._engine) as session:
            request = lock_request(session, request_id)
            request.slack_channel, request.slack_ts = channel, ts
            session.add(request)


def lock_request(session: Session, request_id: str) -> ActionRequest:
    request = session.exec(
        select(ActionRequest).where(ActionRequest.id == request_id).with_for_update()
    ).first()
    if request is None:
        raise ApprovalError(f"no action request {request_id!r}; see `socbot actions list`")
    return request


def set_status(session: Session, request: ActionRequest, status: str, reason: str) -> None:
    request.status = status
    request.status_reason = reason
    request.decided_at = utcnow()
    session.add(request)
    session.flush()
