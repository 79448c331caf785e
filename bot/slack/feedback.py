"""Placeholder: analyst feedback by reaction on triage posts is being written."""

from __future__ import annotations

from typing import Any

from bot.slack.context import SlackContext


def record_feedback_reaction(ctx: SlackContext, event: dict[str, Any], *, added: bool) -> bool:
    """Record :+1:/:-1: on a triage post as analyst.feedback; False when event is not that."""
    return False
