"""reset_mfa: remove an identity's MFA factors so it must enrol again."""

from __future__ import annotations

from typing import Any

from tools.arguments import ActionReason, IdentityRef
from tools.base import TaskContext, ToolArgs, tool


class ResetMfaArgs(ToolArgs):
    identity: IdentityRef
    reason: ActionReason


@tool(ResetMfaArgs, target="identity")
def reset_mfa(args: ResetMfaArgs, ctx: TaskContext) -> dict[str, Any]:
    """Remove every MFA factor of an identity; it must enrol a new factor at next sign-in.

    Use it when a factor may be controlled by an attacker (a device they enrolled, a push
    approved under fatigue). Do it together with revoke_sessions, and only once the owner's
    identity is verified out of band. This changes the account and may need human approval
    or may only be recommended to a human; if so, say so and do not retry.

    Returns identity, factors_removed, mfa_enrolled, next_step, changed.
    """
    return ctx.provider.reset_mfa(ctx.credential, args.identity)
