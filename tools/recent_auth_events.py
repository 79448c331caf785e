"""recent_auth_events: an identity's sign-ins, MFA prompts and API calls in a time window."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tools.arguments import IdentityRef
from tools.base import TaskContext, ToolArgs, tool


class RecentAuthEventsArgs(ToolArgs):
    identity: IdentityRef
    hours: int = Field(
        default=24, ge=1, le=168, description="How many hours back to look (1 to 168)."
    )
    limit: int = Field(
        default=50, ge=1, le=200, description="At most this many events, newest first."
    )


@tool(RecentAuthEventsArgs, target="identity")
def recent_auth_events(args: RecentAuthEventsArgs, ctx: TaskContext) -> dict[str, Any]:
    """Read an identity's authentication log for the last `hours`, newest first. Read-only.

    Use it to establish what actually happened: repeated mfa_push denials followed by an
    approval (push fatigue), sign-ins or API calls from a new country or IP, password
    resets, group changes, OAuth consents. The summary compares the window with the 30 days
    before it, so new_countries and new_ips are the places never seen before.

    Returns identity, hours, total_in_window, shown, summary {by_type_outcome, countries,
    ips, user_agents, new_countries, new_ips, baseline_days}, and events [{at, type,
    outcome, ip, country, detail}].
    """
    return ctx.provider.recent_auth_events(ctx.credential, args.identity, args.hours, args.limit)
