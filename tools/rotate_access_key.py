"""rotate_access_key: replace an access key with a new one delivered to its owner."""

from __future__ import annotations

from typing import Any

from tools.arguments import AccessKeyId, ActionReason
from tools.base import TaskContext, ToolArgs, tool


class RotateAccessKeyArgs(ToolArgs):
    key_id: AccessKeyId
    reason: ActionReason


@tool(RotateAccessKeyArgs, target="key_id")
def rotate_access_key(args: RotateAccessKeyArgs, ctx: TaskContext) -> dict[str, Any]:
    """Rotate an active access key: issue a new key to the owner and deactivate the old one.

    Use it when a key may be exposed but the automation behind it must keep running. The
    new secret goes straight to the owner's secret store and is never shown to you or in
    chat. An inactive key cannot be rotated. This changes the account and may need human
    approval first; if it does, say so and wait.

    Returns identity, old_key_id, old_status, new_key_id, new_status, secret_delivery.
    """
    return ctx.provider.rotate_access_key(ctx.credential, args.key_id)
