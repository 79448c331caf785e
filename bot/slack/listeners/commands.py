"""Placeholder: the commands listener is being written."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.context import SlackContext


def register(app: App, ctx: SlackContext) -> None:
    """Attach this module's listeners to app."""
