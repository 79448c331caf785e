"""revoke_sessions: sign an identity out everywhere by ending its live sessions."""

from __future__ import annotations

from typing import Any

from tools.arguments import ActionReason, IdentityRef
from tools.base import TaskContext, ToolArgs, tool


class RevokeSessionsArgs(ToolArgs):
    identity: IdentityRef
    reason: ActionReason


@tool(RevokeSessionsArgs, target="identity")
def revoke_sessions(args: RevokeSessionsArgs, ctx: TaskContext) -> dict[str, Any]:
    """End every active session of an identity, so whoever holds one must sign in again.

    Use it when a session may be in an attacker's hands (a sign-in after MFA push fatigue,
    a session from an unfamiliar country). It does not stop a fresh sign-in with a stolen
    password: pair it with reset_mfa or suspend_identity when the password is also at risk.
    This changes the account and may need human approval first; if it does, say so and wait.

    Returns identity, revoked_count, revoked_session_ids, revoked_at, changed.
    """
    return ctx.provider.revoke_sessions(ctx.credential, args.identity)
