"""list_access_keys: an identity's long-lived API access keys and their last use."""

from __future__ import annotations

from typing import Any

from tools.arguments import IdentityRef
from tools.base import TaskContext, ToolArgs, tool


class ListAccessKeysArgs(ToolArgs):
    identity: IdentityRef


@tool(ListAccessKeysArgs, target="identity")
def list_access_keys(args: ListAccessKeysArgs, ctx: TaskContext) -> dict[str, Any]:
    """List an identity's access keys, newest first. Read-only; never shows a secret.

    Use it when an alert involves API activity or a service account: compare each key's
    last_used_ip and last_used_region with what is usual, and find the key id that
    deactivate_access_key or rotate_access_key would act on.

    Returns identity, active_count, and keys [{key_id, status (active | inactive),
    created_at, age_days, last_used_at, last_used_ip, last_used_region}].
    """
    return ctx.provider.list_access_keys(ctx.credential, args.identity)
