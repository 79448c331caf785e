"""The Slack fixtures (tests/slack_helpers.py) for every test in this folder."""

from tests.support.slack import slack_app, slack_standin

__all__ = ["slack_app", "slack_standin"]
