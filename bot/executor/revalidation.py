"""Checks an approved action again, just before it runs.

An approval is for one exact action under one policy. It is void when the stored request no
longer matches its hash, an approval was given for another hash, the tool or its arguments no
longer validate, the target now resolves to another identity than the one it was parked
for, the current policy would not park it for approval (denied, protected target, mode
changed), the tool has used up its rate limit, or the counted approvers no longer meet the
current approver rule and quorum.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.engine import Engine

from bot.actions.approvals import ActionRequest, ApprovalBook, hash_matches
from bot.errors import NotFound, ProviderError, ToolArgumentError
from bot.executor.outcome import parse_arguments
from bot.executor.rate_limit import rate_limit_reason
from bot.executor.targets import TargetResolver, target_aliases
from bot.policy import Policy, ToolCall, decide
from bot.providers.naming import provider_of
from bot.tasks.runner import TaskHandle
from tools.base import TargetInfo, Tool, ToolArgs

VoidCheck = tuple[str | None, Tool | None, ToolArgs | None]


class Revalidation:
    def __init__(
        self,
        *,
        approvals: ApprovalBook,
        registry: Mapping[str, Tool],
        targets: TargetResolver,
        engine: Engine,
    ) -> None:
        self._approvals = approvals
        self._registry = registry
        self._targets = targets
        self._engine = engine

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
            info = self._targets.resolve(task, tool, args, policy)
        except NotFound as exc:
            return f"the target is gone: {exc}"
        except ProviderError as exc:
            return f"the target no longer resolves: {exc}"
        changed = identity_changed(request, info)
        if changed is not None:
            return changed
        aliases = target_aliases(tool, args, info)
        approved_in, now_in = provider_of(request.target_aliases), provider_of(aliases)
        if approved_in != now_in:
            return f"the target now belongs to provider {now_in}, not {approved_in} as approved"
        call = ToolCall(
            request.tool, args.model_dump(mode="json"), aliases, request.requester, now_in
        )
        decision = decide(policy, call)
        if decision.outcome != "require_approval":
            return f"the current policy no longer allows it with approval: {decision.reason}"
        return rate_limit_reason(self._engine, policy.tools[request.tool])


def identity_changed(request: ActionRequest, info: TargetInfo | None) -> str | None:
    """Why the target is no longer the identity approvers approved, if it is not."""
    bound = request.target_identity_id
    if bound is None:  # parked before binding, or a target that is no identity
        return None
    now = info.identity_id if info is not None else None
    if now == bound:
        return None
    return (
        f"{request.target!r} now resolves to {now or 'no identity'}, not {bound} as when it "
        "was approved: the approval was for that identity"
    )
