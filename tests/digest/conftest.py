"""The Slack stand-in fixture (tests/support/slack.py) for the digest tests."""

from tests.support.slack import slack_standin

__all__ = ["slack_standin"]
