"""reaction_added / reaction_removed: verdicts on approval cards, feedback on triage posts.

The event is acked by Bolt at once; the work (Web API look-ups, the verdict, maybe running
the action) goes to the worker pool, which tells the reactor ephemerally if it fails.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.slack.approvals.reactions import on_reaction
from bot.slack.approvals.usergroups import ensure_usergroup_directory
from bot.slack.context import SlackContext


def register(app: App, ctx: SlackContext) -> None:
    """Attach this module's listeners to app."""
    ensure_usergroup_directory(ctx)

    @app.event("reaction_added")
    def reaction_added(body: dict[str, Any]) -> None:
        _hand_over(ctx, body, added=True)

    @app.event("reaction_removed")
    def reaction_removed(body: dict[str, Any]) -> None:
        _hand_over(ctx, body, added=False)


def _hand_over(ctx: SlackContext, body: dict[str, Any], *, added: bool) -> None:
    event = body.get("event") or {}
    item = event.get("item") or {}
    channel, user = item.get("channel"), event.get("user")
    reply_to = (str(channel), None) if channel else None
    ctx.workers.submit(
        "handling your reaction",
        on_reaction,
        ctx,
        body,
        added,
        reply_to=reply_to,
        user=str(user) if user else None,
    )
