"""suspend_identity: block an identity from signing in or using its access."""

from __future__ import annotations

from typing import Any

from tools.arguments import ActionReason, IdentityRef
from tools.base import TaskContext, ToolArgs, tool


class SuspendIdentityArgs(ToolArgs):
    identity: IdentityRef
    reason: ActionReason


@tool(SuspendIdentityArgs, target="identity")
def suspend_identity(args: SuspendIdentityArgs, ctx: TaskContext) -> dict[str, Any]:
    """Suspend an identity: it can no longer sign in until an administrator restores it.

    Use it for a confirmed or highly likely takeover, when ending sessions is not enough.
    It disrupts the person or the automation behind the account, so weigh the evidence and
    the blast radius first. This is a disruptive change that needs human approval, often
    from more than one approver; if it does, say so and wait.

    Returns identity, previous_status, status, changed.
    """
    return ctx.provider.suspend_identity(ctx.credential, args.identity)
