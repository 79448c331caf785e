"""Parked actions and the human approvals that release them.

An ActionRequest is an execute_with_approval call the model made: stored with canonical
arguments and an action hash over everything that defines it. Approvals attach to that hash.
Rules: the approver is allowed by policy, is neither the requester nor the target, approvers
are distinct, the first rejection cancels, requests expire, and execution is claimed once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    REJECTED,
    UNKNOWN,
    VOIDED,
    WITHDRAWN,
    ActionRequest,
    Approval,
    compute_action_hash,
    hash_matches,
)
from bot.actions.rules import (
    ApprovalOutcome,
    ApproverRule,
    ApproverRuleLookup,
    NoUsergroups,
    UsergroupDirectory,
)
from bot.actions.store import ActionStore, lock_request, set_status
from bot.clock import as_utc, utcnow
from bot.db import session_scope
from bot.errors import ApprovalError

if TYPE_CHECKING:
    from bot.audit.log import AuditLog

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


class ApprovalBook(ActionStore):
    """The store of parked actions, plus the rules by which verdicts on them count."""

    def __init__(
        self,
        engine: Engine,
        audit: AuditLog,
        rule_for: ApproverRuleLookup,
        directory: UsergroupDirectory | None = None,
    ) -> None:
        super().__init__(engine, audit)
        self._rule_for = rule_for
        self._directory = directory or NoUsergroups()

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
            request = lock_request(session, request_id)
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
            set_status(session, request, REJECTED, f"rejected by {approver}")
            return ApprovalOutcome(request.id, True, REJECTED, "rejected", 0, quorum)
        approvals = _approving(session, request.id)
        if len(approvals) >= quorum:
            set_status(session, request, APPROVED, "quorum reached")
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
            request = lock_request(session, request_id)
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
                set_status(session, request, PENDING, f"{approver} withdrew")
            self._audit.record(
                "approval.withdrawn",
                task_id=request.task_id,
                actor=approver,
                tool=request.tool,
                data={"request_id": request_id, "via": via},
                session=session,
            )
        return True


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
