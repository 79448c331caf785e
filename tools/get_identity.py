"""get_identity: who an identity is, its status, groups, privilege and MFA."""

from __future__ import annotations

from typing import Any

from tools.arguments import IdentityRef
from tools.base import TaskContext, ToolArgs, tool


class GetIdentityArgs(ToolArgs):
    identity: IdentityRef


@tool(GetIdentityArgs, target="identity")
def get_identity(args: GetIdentityArgs, ctx: TaskContext) -> dict[str, Any]:
    """Look up one person or service account in the directory. Read-only.

    Use it first whenever an alert or a question names a user, email, ARN or Slack id: it
    says who the identity is, whether it is active or suspended, whether it is privileged
    (directly or through a privileged group), whether it is a break-glass account, and which
    MFA factors it has.

    Returns id, kind (person | service_account), name, email, arn, slack_user_id,
    department, title, status, privileged, privileged_groups, directory_admin, break_glass,
    mfa {enrolled, factors}, created_at, last_login, groups [{id, name, privileged}], and
    owner_id for service accounts.
    """
    return ctx.provider.get_identity(ctx.credential, args.identity)
