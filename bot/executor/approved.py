"""Running an approved action: claimed once, checked again, run with a fresh credential.

The claim (approved → executing) is one conditional UPDATE, so of any number of callers exactly
one proceeds. The action then runs in a task of its own through the run step, only if
revalidation finds it still the same action under a policy and approvers that still allow it;
otherwise it is voided.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.actions import approvals as ab
from bot.actions.approvals import ActionRequest, ApprovalBook
from bot.actions.store import AuditEntry
from bot.errors import ApprovalError
from bot.executor.outcome import TIMED_OUT_NOTE, ToolOutcome
from bot.executor.revalidation import Revalidation
from bot.executor.run_step import RunStep
from bot.executor.targets import TargetResolver
from bot.policy import PolicyStore
from bot.tasks.runner import TaskHandle, TaskLimits, TaskRunner
from tools.base import Tool


class ApprovedExecution:
    def __init__(
        self,
        *,
        approvals: ApprovalBook,
        tasks: TaskRunner,
        policies: PolicyStore,
        registry: Mapping[str, Tool],
        run_step: RunStep,
        targets: TargetResolver,
    ) -> None:
        self._approvals = approvals
        self._tasks = tasks
        self._policies = policies
        self._run_step = run_step
        self._revalidation = Revalidation(approvals=approvals, registry=registry, targets=targets)

    def execute(self, request_id: str, *, actor: str, limits: TaskLimits) -> ToolOutcome:
        subject = {"request_id": request_id}
        with self._tasks.run("action", actor, limits, subject=subject) as task:
            request = self._approvals.claim_for_execution(request_id, task.id)
            if request is None:
                raise ApprovalError(f"{request_id} is not approved, or it has already run")
            try:
                return self._execute_claimed(task, actor, request)
            except BaseException as exc:
                # Only a request still marked executing is failed here: a recorded outcome stands.
                self._approvals.finish(request_id, ab.FAILED, f"{type(exc).__name__}: {exc}")
                raise

    def _execute_claimed(self, task: TaskHandle, actor: str, request: ActionRequest) -> ToolOutcome:
        policy = self._policies.current
        reason, tool, args = self._revalidation.void_reason(task, request, policy)
        if reason is not None or tool is None or args is None:
            return self._void(task, actor, request, reason or "the action no longer validates")
        outcome = self._run_step.run(task, actor, tool, args, policy)
        status = _final_status(outcome)
        approvers = [a.approver for a in self._approvals.approvals_of(request.id)]
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
        self._approvals.finish(request.id, status, outcome.status, outcome.content, audit=record)
        task.summary = f"{request.tool} on {request.target}: {status}"
        return outcome

    def _void(
        self, task: TaskHandle, actor: str, request: ActionRequest, reason: str
    ) -> ToolOutcome:
        record = AuditEntry(
            "action.voided",
            {
                "task_id": task.id,
                "actor": actor,
                "tool": request.tool,
                "policy_version": self._policies.current.version,
                "data": {"request_id": request.id, "reason": reason},
            },
        )
        self._approvals.finish(request.id, ab.VOIDED, reason, audit=record)
        task.summary = f"voided: {reason}"
        return ToolOutcome(request.tool, "denied", {"reason": reason}, "approval.void", request.id)


def _final_status(outcome: ToolOutcome) -> str:
    if outcome.status == "ok":
        return ab.EXECUTED
    error = str(outcome.content.get("error", ""))
    return ab.UNKNOWN if error.endswith(TIMED_OUT_NOTE) else ab.FAILED
