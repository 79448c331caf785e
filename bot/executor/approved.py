"""Running an approved action: claimed once, checked again, run with a fresh credential.

The claim (approved → executing) is one conditional UPDATE, so of any number of callers exactly
one proceeds. The action then runs in a task of its own, only if revalidation finds it still
the same action under a policy and approvers that still allow it; otherwise it is voided.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.actions import approvals as ab
from bot.actions.approvals import ActionRequest
from bot.actions.store import AuditEntry
from bot.errors import ApprovalError
from bot.executor.outcome import ToolOutcome
from bot.executor.revalidation import void_reason
from bot.tasks.runner import TaskHandle, TaskLimits

TIMED_OUT_NOTE = "; it may or may not have taken effect"

if TYPE_CHECKING:
    from bot.executor.dispatch import Executor


def execute_approved(
    executor: Executor, request_id: str, *, actor: str, limits: TaskLimits
) -> ToolOutcome:
    subject = {"request_id": request_id}
    with executor.tasks.run("action", actor, limits, subject=subject) as task:
        request = executor.approvals.claim_for_execution(request_id, task.id)
        if request is None:
            raise ApprovalError(f"{request_id} is not approved, or it has already run")
        try:
            return _execute_claimed(executor, task, actor, request)
        except BaseException as exc:
            # Only a request still marked executing is failed here: a recorded outcome stands.
            executor.approvals.finish(request_id, ab.FAILED, f"{type(exc).__name__}: {exc}")
            raise


def _final_status(outcome: ToolOutcome) -> str:
    if outcome.status == "ok":
        return ab.EXECUTED
    error = str(outcome.content.get("error", ""))
    return ab.UNKNOWN if error.endswith(TIMED_OUT_NOTE) else ab.FAILED


def _execute_claimed(
    executor: Executor, task: TaskHandle, actor: str, request: ActionRequest
) -> ToolOutcome:
    policy = executor.policy
    reason, tool, args = void_reason(executor, task, request, policy)
    if reason is not None or tool is None or args is None:
        return _void(executor, task, actor, request, reason or "the action no longer validates")
    outcome = executor.run_tool(task, actor, tool, args, policy)
    status = _final_status(outcome)
    approvers = [a.approver for a in executor.approvals.approvals_of(request.id)]
    record = AuditEntry(
        f"action.{status}" if status != ab.UNKNOWN else "action.failed",
        {
            "task_id": task.id,
            "actor": actor,
            "tool": request.tool,
            "policy_version": policy.version,
            "data": {
                "request_id": request.id,
                "requested_in": request.task_id,
                "action_hash": request.action_hash,
                "rule": request.policy_rule,
                "approvers": approvers,
                "status": status,
            },
        },
    )
    executor.approvals.finish(request.id, status, outcome.status, outcome.content, audit=record)
    task.summary = f"{request.tool} on {request.target}: {status}"
    return outcome


def _void(
    executor: Executor, task: TaskHandle, actor: str, request: ActionRequest, reason: str
) -> ToolOutcome:
    record = AuditEntry(
        "action.voided",
        {
            "task_id": task.id,
            "actor": actor,
            "tool": request.tool,
            "policy_version": executor.policy.version,
            "data": {"request_id": request.id, "reason": reason},
        },
    )
    executor.approvals.finish(request.id, ab.VOIDED, reason, audit=record)
    task.summary = f"voided: {reason}"
    return ToolOutcome(request.tool, "denied", {"reason": reason}, "approval.void", request.id)
