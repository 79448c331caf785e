"""assess_blast_radius: how much an attacker holding this identity could reach."""

from __future__ import annotations

from typing import Any

from tools.arguments import IdentityRef
from tools.base import TaskContext, ToolArgs, tool


class AssessBlastRadiusArgs(ToolArgs):
    identity: IdentityRef


@tool(AssessBlastRadiusArgs, target="identity")
def assess_blast_radius(args: AssessBlastRadiusArgs, ctx: TaskContext) -> dict[str, Any]:
    """Score what an identity can reach if it is compromised. Read-only.

    Use it to set severity and urgency: a privileged or break-glass identity with active
    keys and live sessions warrants faster containment than an ordinary account.

    Returns identity, kind, status, score, level (low < 20 <= medium < 50 <= high < 100 <=
    critical), and breakdown [{component, count, weight, points, items}] over
    directory_admin, privileged_groups, other_groups, privileged_permissions,
    other_permissions, active_access_keys, risky_oauth_grants, other_oauth_grants and
    active_sessions. The score is the sum of the points; cite the components that drive it.
    """
    return ctx.provider.assess_blast_radius(ctx.credential, args.identity)
