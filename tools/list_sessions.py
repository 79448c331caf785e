"""list_sessions: an identity's sign-in sessions, active ones first."""

from __future__ import annotations

from typing import Any

from tools.arguments import IdentityRef
from tools.base import TaskContext, ToolArgs, tool


class ListSessionsArgs(ToolArgs):
    identity: IdentityRef


@tool(ListSessionsArgs, target="identity")
def list_sessions(args: ListSessionsArgs, ctx: TaskContext) -> dict[str, Any]:
    """List an identity's sign-in sessions, newest first (at most 20). Read-only.

    Use it to see whether someone is signed in right now and from where: a live session from
    an unfamiliar IP or country is what revoke_sessions would end.

    Returns identity, active_count, total, and sessions [{session_id, state (active |
    revoked | expired), ip, country, user_agent, created_at, expires_at, revoked_at}].
    """
    return ctx.provider.list_sessions(ctx.credential, args.identity)
