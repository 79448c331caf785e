"""Parking: a recommend or execute_with_approval decision becomes a stored ActionRequest.

The same action asked twice in one task (a model that repeats itself, or the offline engine
taking over after the model failed midway) is the same request: its action hash is equal, so
the first one is returned instead of a second being parked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.actions import approvals as ab
from bot.actions.approvals import ActionRequest, ApprovalBook, compute_action_hash
from bot.canonical import canonical_json
from bot.clock import utcnow
from bot.executor.outcome import ToolOutcome
from bot.policy import Decision, ToolRule
from bot.redaction import Redactor
from bot.tasks.runner import TaskHandle
from tools.base import Tool, ToolArgs

DRAFT_NOTE = "Drafted as a recommendation for a human to carry out; socbot will not run it."
PARKED_NOTE = "Parked for human approval; it runs only if approvers say yes."


@dataclass(frozen=True)
class Proposal:
    """One decided call the gate will not run itself: everything a stored request needs."""

    task: TaskHandle
    tool: Tool
    args: ToolArgs
    aliases: frozenset[str]
    decision: Decision
    rule: ToolRule
    evidence: Mapping[str, Any]


class Parker:
    def __init__(self, approvals: ApprovalBook, redactor: Redactor) -> None:
        self._approvals = approvals
        self._redactor = redactor

    def draft(self, proposal: Proposal) -> ToolOutcome:
        request = self._store(proposal, ab.RECOMMENDED)
        content = {"recommendation_id": request.id, "message": DRAFT_NOTE}
        return ToolOutcome(
            proposal.tool.name, "recommended", content, proposal.decision.rule, request.id
        )

    def park(self, proposal: Proposal) -> ToolOutcome:
        request = self._store(proposal, ab.PENDING)
        content = {
            "request_id": request.id,
            "approvals_needed": request.quorum,
            "expires_at": request.expires_at.isoformat() if request.expires_at else None,
            "message": PARKED_NOTE,
        }
        return ToolOutcome(
            proposal.tool.name, "awaiting_approval", content, proposal.decision.rule, request.id
        )

    def _store(self, proposal: Proposal, status: str) -> ActionRequest:
        request = self._new_request(proposal, status)
        existing = self._approvals.open_request_with_hash(request.action_hash)
        if existing is not None:
            return existing
        kind = "recommendation" if status == ab.RECOMMENDED else "action.requested"
        return self._approvals.park(request, kind=kind)

    def _new_request(self, proposal: Proposal, status: str) -> ActionRequest:
        task, tool, decision = proposal.task, proposal.tool, proposal.decision
        # Arguments are stored and shown to approvers: a secret the model copied in goes no further.
        canonical_args = self._redactor.redact(proposal.args.model_dump(mode="json"))
        target = tool.target_of(proposal.args)
        now = utcnow()
        return ActionRequest(
            id=self._approvals.new_request_id(),
            task_id=task.id,
            tool=tool.name,
            args_json=canonical_json(canonical_args),
            target=target,
            target_aliases_json=canonical_json(sorted(proposal.aliases)),
            requester=task.actor,
            policy_version=decision.policy_version,
            policy_rule=decision.rule,
            action_hash=compute_action_hash(
                tool=tool.name,
                args=canonical_args,
                target=target,
                requester=task.actor,
                task_id=task.id,
                policy_version=decision.policy_version,
            ),
            quorum=proposal.rule.quorum if status == ab.PENDING else 0,
            status=status,
            evidence_json=canonical_json(self._redactor.redact(dict(proposal.evidence))),
            created_at=now,
            expires_at=None if status == ab.RECOMMENDED else now + proposal.rule.approval_expiry,
        )
