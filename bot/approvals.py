"""Parked actions and the human approvals that release them.

An ActionRequest is an execute_with_approval call the model made: stored with canonical
arguments and an action hash over everything that defines it. Approvals attach to that hash.
Rules: the approver is allowed by policy, is neither the requester nor the target, approvers
are distinct, the first rejection cancels, requests expire, and execution is claimed once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.action_requests import (
    APPROVED,
    EXECUTED,
    EXECUTING,
    EXPIRED,
    FAILED,
    OPEN_STATUSES,
    PENDING,
    RECOMMENDED,
    REJECTED,
    UNKNOWN,
    VOIDED,
    WITHDRAWN,
    ActionRequest,
    Approval,
    compute_action_hash,
    hash_matches,
)
from bot.canonical import canonical_json
from bot.clock import as_utc, utcnow
from bot.db import session_scope
from bot.errors import ApprovalError

if TYPE_CHECKING:
    from bot.audit import AuditLog

__all__ = [
    "APPROVED",
    "EXECUTED",
    "EXECUTING",
    "EXPIRED",
    "FAILED",
    "OPEN_STATUSES",
    "PENDING",
    "RECOMMENDED",
    "REJECTED",
    "UNKNOWN",
    "VOIDED",
    "WITHDRAWN",
    "ActionRequest",
    "Approval",
    "ApprovalBook",
    "ApprovalOutcome",
    "ApproverRule",
    "NoUsergroups",
    "UsergroupDirectory",
    "compute_action_hash",
    "hash_matches",
]


@dataclass(frozen=True)
class ApproverRule:
    """Who may approve a tool's actions now, and how many must."""

    users: frozenset[str]
    usergroups: frozenset[str]
    quorum: int


class UsergroupDirectory(Protocol):
    def members(self, usergroup_id: str) -> frozenset[str]: ...


class NoUsergroups:
    """Used where no Slack workspace is reachable (the CLI): only named users count."""

    def members(self, usergroup_id: str) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True)
class AuditEntry:
    """An audit row to write together with a status change."""

    kind: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class ApprovalOutcome:
    request_id: str
    counted: bool
    status: str
    reason: str
    approvals: int
    quorum: int

    @property
    def ready_to_execute(self) -> bool:
        return self.counted and self.status == APPROVED


ApproverRuleLookup = Callable[[str], ApproverRule | None]


class ApprovalBook:
    """Parks actions, counts approvals by the rules, expires and claims them."""

    def __init__(
        self,
        engine: Engine,
        audit: AuditLog,
        rule_for: ApproverRuleLookup,
        directory: UsergroupDirectory | None = None,
    ) -> None:
        self._engine = engine
        self._audit = audit
        self._rule_for = rule_for
        self._directory = directory or NoUsergroups()

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

    def decide(
        self,
        request_id: str,
        approver: str,
        verdict: str,
        *,
        via: str = "cli",
        approver_aliases: frozenset[str] = frozenset(),
    ) -> ApprovalOutcome:
        """Count one approver's verdict if the rules allow it; audit it either way."""
        if verdict not in ("approve", "reject"):
            raise ApprovalError(f"verdict must be approve or reject, not {verdict!r}")
        # Read the rule before taking the row lock: reading the policy may reload it and audit
        # the reload, which on SQLite would wait for the write lock this transaction holds.
        rule = self._rule_for(self.get(request_id).tool)
        with session_scope(self._engine) as session:
            request = _lock_request(session, request_id)
            refusal = self._refusal(session, request, approver, approver_aliases, rule)
            if refusal is not None:
                return self._refuse(session, request, approver, refusal, via)
            quorum = rule.quorum if rule is not None else request.quorum
            return self._count(session, request, approver, verdict, via, quorum)

    def _refusal(
        self,
        session: Session,
        request: ActionRequest,
        approver: str,
        approver_aliases: frozenset[str],
        rule: ApproverRule | None,
    ) -> str | None:
        if request.status != PENDING:
            return f"the action is {request.status}, not pending"
        if request.expires_at is not None and as_utc(request.expires_at) <= utcnow():
            self._expire(session, request)
            return "the approval window has passed"
        return self._who_refusal(session, request, approver, approver_aliases, rule)

    def _who_refusal(
        self,
        session: Session,
        request: ActionRequest,
        approver: str,
        approver_aliases: frozenset[str],
        rule: ApproverRule | None,
    ) -> str | None:
        if rule is None:
            return f"policy no longer lets {request.tool} run with approval"
        if not self._is_allowed(approver, rule):
            return f"{approver} is not an approver for {request.tool} under the current policy"
        if approver == request.requester:
            return "the requester cannot approve their own action"
        names = {approver.lower(), *(a.lower() for a in approver_aliases)}
        if names & request.target_aliases:
            return "the target of an action cannot approve it"
        existing = session.exec(
            select(Approval).where(Approval.request_id == request.id, Approval.approver == approver)
        ).first()
        if existing is not None and existing.withdrawn_at is None:
            return f"{approver} has already given a verdict on this action"
        return None

    def still_counting(self, request: ActionRequest) -> tuple[list[str], int]:
        """Approvers whose approval counts under the current rule, and the current quorum."""
        rule = self._rule_for(request.tool)
        if rule is None:
            return [], 1
        approvers = {a.approver for a in self.approvals_of(request.id) if a.verdict == "approve"}
        return sorted(a for a in approvers if self._is_allowed(a, rule)), rule.quorum

    def _is_allowed(self, approver: str, rule: ApproverRule) -> bool:
        if approver in rule.users:
            return True
        return any(approver in self._directory.members(group) for group in rule.usergroups)

    def _refuse(
        self, session: Session, request: ActionRequest, approver: str, reason: str, via: str
    ) -> ApprovalOutcome:
        self._audit.record(
            "approval.refused",
            task_id=request.task_id,
            actor=approver,
            tool=request.tool,
            data={
                "request_id": request.id,
                "action_hash": request.action_hash,
                "reason": reason,
                "via": via,
            },
            session=session,
        )
        count = len(_approving(session, request.id))
        return ApprovalOutcome(request.id, False, request.status, reason, count, request.quorum)

    def _count(
        self,
        session: Session,
        request: ActionRequest,
        approver: str,
        verdict: str,
        via: str,
        quorum: int,
    ) -> ApprovalOutcome:
        """Record a counted verdict. The quorum is the current policy's, which execution checks
        again: counting against the one stored at parking could approve what will be voided."""
        _upsert_approval(session, request, approver, verdict, via)
        kind = "approval.granted" if verdict == "approve" else "approval.rejected"
        self._audit.record(
            kind,
            task_id=request.task_id,
            actor=approver,
            tool=request.tool,
            policy_version=request.policy_version,
            data={"request_id": request.id, "action_hash": request.action_hash, "via": via},
            session=session,
        )
        if verdict == "reject":
            _set_status(session, request, REJECTED, f"rejected by {approver}")
            return ApprovalOutcome(request.id, True, REJECTED, "rejected", 0, quorum)
        approvals = _approving(session, request.id)
        if len(approvals) >= quorum:
            _set_status(session, request, APPROVED, "quorum reached")
            self._audit.record(
                "action.approved",
                task_id=request.task_id,
                tool=request.tool,
                data={
                    "request_id": request.id,
                    "action_hash": request.action_hash,
                    "approvers": approvals,
                },
                session=session,
            )
        status = APPROVED if len(approvals) >= quorum else PENDING
        return ApprovalOutcome(request.id, True, status, "counted", len(approvals), quorum)

    def withdraw(self, request_id: str, approver: str, *, via: str = "cli") -> bool:
        """Take back a verdict before execution. Returns False when there was nothing to take."""
        with session_scope(self._engine) as session:
            request = _lock_request(session, request_id)
            if request.status not in (PENDING, APPROVED):
                return False
            approval = session.exec(
                select(Approval).where(
                    Approval.request_id == request_id,
                    Approval.approver == approver,
                    col(Approval.withdrawn_at).is_(None),
                )
            ).first()
            if approval is None or approval.verdict != "approve":
                return False
            approval.withdrawn_at = utcnow()
            session.add(approval)
            session.flush()
            if request.status == APPROVED and len(_approving(session, request_id)) < request.quorum:
                _set_status(session, request, PENDING, f"{approver} withdrew")
            self._audit.record(
                "approval.withdrawn",
                task_id=request.task_id,
                actor=approver,
                tool=request.tool,
                data={"request_id": request_id, "via": via},
                session=session,
            )
        return True

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
                request = _lock_request(session, request_id)
                if request.status in OPEN_STATUSES:
                    self._expire(session, request)
                    expired.append(request_id)
        return expired

    def _expire(self, session: Session, request: ActionRequest) -> None:
        _set_status(session, request, EXPIRED, "approval window passed")
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
            request = _lock_request(session, request_id)
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
            request = _lock_request(session, request_id)
            request.slack_channel, request.slack_ts = channel, ts
            session.add(request)


def _lock_request(session: Session, request_id: str) -> ActionRequest:
    request = session.exec(
        select(ActionRequest).where(ActionRequest.id == request_id).with_for_update()
    ).first()
    if request is None:
        raise ApprovalError(f"no action request {request_id!r}; see `socbot actions list`")
    return request


def _set_status(session: Session, request: ActionRequest, status: str, reason: str) -> None:
    request.status = status
    request.status_reason = reason
    request.decided_at = utcnow()
    session.add(request)
    session.flush()


def _approving(session: Session, request_id: str) -> list[str]:
    rows = session.exec(
        select(Approval.approver).where(
            Approval.request_id == request_id,
            Approval.verdict == "approve",
            col(Approval.withdrawn_at).is_(None),
        )
    )
    return sorted(set(rows))


def _upsert_approval(
    session: Session, request: ActionRequest, approver: str, verdict: str, via: str
) -> None:
    # A withdrawn verdict may be given again: the row is reused, the unique key stays true.
    existing = session.exec(
        select(Approval).where(Approval.request_id == request.id, Approval.approver == approver)
    ).first()
    approval = existing or Approval(
        request_id=request.id,
        approver=approver,
        verdict=verdict,
        action_hash=request.action_hash,
        via=via,
        created_at=utcnow(),
    )
    approval.verdict, approval.withdrawn_at, approval.via = verdict, None, via
    approval.action_hash, approval.created_at = request.action_hash, utcnow()
    session.add(approval)
    session.flush()
