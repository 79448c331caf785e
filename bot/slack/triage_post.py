"""Placeholder: posting triage results to Slack is being written."""

from __future__ import annotations

from bot.alerts.publish import NoPublisher
from bot.slack.context import SlackContext


class SlackTriagePublisher(NoPublisher):
    def __init__(self, ctx: SlackContext) -> None:
        self.ctx = ctx
