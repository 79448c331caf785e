"""deactivate_access_key: stop one access key from working."""

from __future__ import annotations

from typing import Any

from tools.arguments import AccessKeyId, ActionReason
from tools.base import TaskContext, ToolArgs, tool


class DeactivateAccessKeyArgs(ToolArgs):
    key_id: AccessKeyId
    reason: ActionReason


@tool(DeactivateAccessKeyArgs, target="key_id")
def deactivate_access_key(args: DeactivateAccessKeyArgs, ctx: TaskContext) -> dict[str, Any]:
    """Deactivate one access key so every request signed with it fails from now on.

    Use it when a key is used from an unknown IP or region, or has leaked. Anything that
    legitimately uses the key stops too; rotate_access_key instead gives the owner a new key
    at the same time. This changes the account and may need human approval first; if it
    does, say so and wait.

    Returns key_id, identity, previous_status, status, changed.
    """
    return ctx.provider.deactivate_access_key(ctx.credential, args.key_id)
