"""revoke_oauth_grant: withdraw a third-party app's access to an identity's data."""

from __future__ import annotations

from typing import Any

from tools.arguments import ActionReason, GrantId
from tools.base import TaskContext, ToolArgs, tool


class RevokeOAuthGrantArgs(ToolArgs):
    grant_id: GrantId
    reason: ActionReason


@tool(RevokeOAuthGrantArgs, target="grant_id")
def revoke_oauth_grant(args: RevokeOAuthGrantArgs, ctx: TaskContext) -> dict[str, Any]:
    """Revoke one OAuth grant, so the app's tokens stop working for this identity.

    Use it for consent phishing or any risky app holding scopes such as mail.read with
    offline_access. It touches only this one grant. This changes the account and may need
    human approval first; if it does, say so and wait.

    Returns grant_id, identity, app_name, scopes, revoked_at, changed.
    """
    return ctx.provider.revoke_oauth_grant(ctx.credential, args.grant_id)
