"""list_oauth_grants: the third-party apps an identity has consented to."""

from __future__ import annotations

from typing import Any

from tools.arguments import IdentityRef
from tools.base import TaskContext, ToolArgs, tool


class ListOAuthGrantsArgs(ToolArgs):
    identity: IdentityRef


@tool(ListOAuthGrantsArgs, target="identity")
def list_oauth_grants(args: ListOAuthGrantsArgs, ctx: TaskContext) -> dict[str, Any]:
    """List the OAuth apps an identity has granted access to, newest first. Read-only.

    Use it for consent-phishing alerts or when an account may be read by an app: grants
    marked risky hold sensitive scopes such as mail.read or files.read.all, and with
    offline_access the app keeps reading after the user signs out.

    Returns identity, active_count, risky_active_count, and grants [{grant_id, app_name,
    app_id, scopes, risky, state (active | revoked), created_at, revoked_at}].
    """
    return ctx.provider.list_oauth_grants(ctx.credential, args.identity)
