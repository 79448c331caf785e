"""Every Slack listener module; each exposes register(app, ctx)."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.context import SlackContext
from bot.slack.listeners import alert_channel, commands, messages, reactions

LISTENER_MODULES = (messages, reactions, commands, alert_channel)


def register_all(app: App, ctx: SlackContext) -> None:
    for module in LISTENER_MODULES:
        module.register(app, ctx)
