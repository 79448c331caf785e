"""The Slack fixtures (tests/support/slack.py) for every test in this folder."""

from tests.support.slack import slack_app, slack_standin

__all__ = ["slack_app", "slack_standin"]
