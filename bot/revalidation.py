"""Checks an approved action again, just before it runs.

An approval is for one exact action under one policy. It is void when the stored request no
longer matches its hash, an approval was given for another hash, the tool or its arguments no
longer validate, the current policy would not park it for approval (denied, protected target,
mode changed), or the counted approvers no longer meet the current approver rule and quorum.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.approvals import ActionRequest, hash_matches
from bot.errors import NotFound, ToolArgumentError
from bot.policy import Policy, ToolCall, decide
from bot.providers.naming import provider_of
from bot.tool_outcome import parse_arguments
from tools.base import Tool, ToolArgs

if TYPE_CHECKING:
    from bot.executor import Executor
    from bot.tasks import TaskHandle

VoidCheck = tuple[str | None, Tool | None, ToolArgs | None]


def void_reason(
    executor: Executor, task: TaskHandle, request: ActionRequest, policy: Policy
) -> VoidCheck:
    """(None, tool, args) when the action may run; otherwise (reason, …)."""
    if not hash_matches(request):
        return "the stored action no longer matches its action hash", None, None
    approvals = executor.approvals.approvals_of(request.id)
    if any(a.action_hash != request.action_hash for a in approvals):
        return "an approval was given for a different action", None, None
    tool = executor.registered(request.tool)
    if tool is None:
        return f"{request.tool} is no longer a registered tool", None, None
    try:
        args = parse_arguments(tool, request.args)
    except ToolArgumentError as exc:
        return str(exc), None, None
    reason = _policy_reason(executor, task, request, policy, tool, args)
    if reason is None:
        counting, quorum = executor.approvals.still_counting(request)
        if len(counting) < quorum:
            reason = f"only {len(counting)} of the {quorum} approvals needed still count"
    return reason, tool, args


def _policy_reason(
    executor: Executor,
    task: TaskHandle,
    request: ActionRequest,
    policy: Policy,
    tool: Tool,
    args: ToolArgs,
) -> str | None:
    if request.tool not in policy.tools:
        return f"the current policy no longer declares {request.tool}"
    try:
        aliases = executor.resolve_aliases(task, tool, args, policy)
    except NotFound as exc:
        return f"the target is gone: {exc}"
    approved_in, now_in = provider_of(request.target_aliases), provider_of(aliases)
    if approved_in != now_in:
        return f"the target now belongs to provider {now_in}, not {approved_in} as approved"
    call = ToolCall(request.tool, args.model_dump(mode="json"), aliases, request.requester, now_in)
    decision = decide(policy, call)
    if decision.outcome != "require_approval":
        return f"the current policy no longer allows it with approval: {decision.reason}"
    return None
