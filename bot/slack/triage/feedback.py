"""Analyst feedback on triage posts: :+1: means the analyst agrees with the triage, :-1: that
they do not. Each is audited as analyst.feedback, which the weekly digest counts.

Only a reaction added to a triage post counts; taking a reaction back is not recorded (the
feedback given stays on record, as everything in the audit log does).
"""

from __future__ import annotations

from typing import Any

from bot.slack.answers.store import ConversationStore
from bot.slack.context import SlackContext

RATINGS = {"+1": "agree", "thumbsup": "agree", "-1": "disagree", "thumbsdown": "disagree"}


def rating_of(reaction: str) -> str | None:
    """agree / disagree for a thumbs reaction in any skin tone; None for anything else."""
    return RATINGS.get(reaction.split("::", 1)[0])


def record_feedback_reaction(ctx: SlackContext, event: dict[str, Any], *, added: bool) -> bool:
    """Record :+1:/:-1: on a triage post as analyst.feedback; False when event is not that."""
    rating = rating_of(str(event.get("reaction") or ""))
    item = event.get("item") or {}
    if rating is None or item.get("type") != "message":
        return False
    store = ConversationStore(ctx.runtime.engine, ctx.runtime.redactor)
    post = store.triage_post(str(item.get("channel")), str(item.get("ts")))
    if post is None:
        return False
    user = event.get("user")
    if added and user and user != ctx.bot_user_id:
        ctx.runtime.audit.record(
            "analyst.feedback",
            actor=str(user),
            data={
                "group_id": post.group_id,
                "alert_ids": post.alert_ids,
                "rating": rating,
                "channel": post.channel,
                "ts": post.ts,
            },
        )
    return True
