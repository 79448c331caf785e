"""remove_from_group: take an identity out of one group and the access it grants."""

from __future__ import annotations

from typing import Any

from tools.arguments import ActionReason, GroupRef, IdentityRef
from tools.base import TaskContext, ToolArgs, tool


class RemoveFromGroupArgs(ToolArgs):
    identity: IdentityRef
    group: GroupRef
    reason: ActionReason


@tool(RemoveFromGroupArgs, target="identity")
def remove_from_group(args: RemoveFromGroupArgs, ctx: TaskContext) -> dict[str, Any]:
    """Remove an identity from one group, withdrawing the roles that group grants.

    Use it when someone was added to a privileged group without a change record, or holds
    access they no longer need. get_identity lists the groups and which are privileged.
    This changes the account and may need human approval or may only be recommended to a
    human; if so, say so and do not retry.

    Returns identity, group, group_privileged, removed, changed.
    """
    return ctx.provider.remove_from_group(ctx.credential, args.identity, args.group)
