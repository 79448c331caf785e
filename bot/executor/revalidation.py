"""Checks an approved action again, just before it runs.

An approval is for one exact action under one policy. It is void when the stored request no
longer matches its hash, an approval was given for another hash, the tool or its arguments no
longer validate, the current policy would not park it for approval (denied, protected target,
mode changed), or the counted approvers no longer meet the current approver rule and quorum.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.actions.approvals import ActionRequest, ApprovalBook, hash_matches
from bot.errors import NotFound, ToolArgumentError
from bot.executor.outcome import parse_arguments
from bot.executor.targets import TargetResolver
from bot.policy import Policy, ToolCall, decide
from bot.tasks.runner import TaskHandle
from tools.base import Tool, ToolArgs

VoidCheck = tuple[str | None, Tool | None, ToolArgs | None]


class Revalidation:
    def __init__(
        self, *, approvals: ApprovalBook, registry: Mapping[str, Tool], targets: TargetResolver
    ) -> None:
        self._approvals = approvals
        self._registry = registry
        self._targets = targets

    def void_reason(self, task: TaskHandle, request: ActionRequest, policy: Policy) -> VoidCheck:
        """(None, tool, args) when the action may run; otherwise (reason, …)."""
        if not hash_matches(request):
            return "the stored action no longer matches its action hash", None, None
        approvals = self._approvals.approvals_of(request.id)
        if any(a.action_hash != request.action_hash for a in approvals):
            return "an approval was given for a different action", None, None
        tool = self._registry.get(request.tool)
        if tool is None:
            return f"{request.tool} is no longer a registered tool", None, None
        try:
            args = parse_arguments(tool, request.args)
        except ToolArgumentError as exc:
            return str(exc), None, None
        reason = self._policy_reason(task, request, policy, tool, args)
        if reason is None:
            counting, quorum = self._approvals.still_counting(request)
            if len(counting) < quorum:
                reason = f"only {len(counting)} of the {quorum} approvals needed still count"
        return reason, tool, args

    def _policy_reason(
        self, task: TaskHandle, request: ActionRequest, policy: Policy, tool: Tool, args: ToolArgs
    ) -> str | None:
        if request.tool not in policy.tools:
            return f"the current policy no longer declares {request.tool}"
        try:
            aliases = self._targets.aliases(task, tool, args, policy)
        except NotFound as exc:
            return f"the target is gone: {exc}"
        call = ToolCall(request.tool, args.model_dump(mode="json"), aliases, request.requester)
        decision = decide(policy, call)
        if decision.outcome != "require_approval":
            return f"the current policy no longer allows it with approval: {decision.reason}"
        return None
