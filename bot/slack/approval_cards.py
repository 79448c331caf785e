"""Placeholder: posting and refreshing approval cards is being written."""

from __future__ import annotations

from bot.alerts.publish import PostRef
from bot.slack.context import SlackContext


def post_approval_card(
    ctx: SlackContext, request_id: str, *, channel: str, thread_ts: str | None
) -> PostRef:
    """Post the card for a parked ActionRequest, remember where it is, return its ref."""
    raise NotImplementedError


def refresh_card(ctx: SlackContext, request_id: str) -> None:
    """Redraw the card from the stored request and approvals (status, counts, expiry)."""
    raise NotImplementedError


def refresh_expired_cards(ctx: SlackContext) -> list[str]:
    """Expire what is due and redraw those cards; the ids expired."""
    raise NotImplementedError
