"""Slack user-group membership for approver rules: read over HTTP from the stand-in, cached
for the configured time, and failing closed."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.slack.approvals.usergroups import SlackUsergroupDirectory
from tests.support.slack_standin import SlackStandIn


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def directory(slack: SlackStandIn, clock: Clock, ttl: float = 60) -> SlackUsergroupDirectory:
    client = WebClient(token=slack.token, base_url=slack.api_url)
    return SlackUsergroupDirectory(client, ttl, clock=clock)


def test_members_are_cached_for_the_ttl(slack_standin: SlackStandIn) -> None:
    clock = Clock()
    groups = directory(slack_standin, clock)
    slack_standin.set_usergroup("S0IAMOPS", ["U0A", "U0B"])

    first = groups.members("S0IAMOPS")
    slack_standin.set_usergroup("S0IAMOPS", ["U0A"])  # U0B leaves the group
    clock.now += 59
    cached = groups.members("S0IAMOPS")
    clock.now += 2
    fresh = groups.members("S0IAMOPS")

    assert first == cached == frozenset({"U0A", "U0B"})
    assert fresh == frozenset({"U0A"})
    assert len(slack_standin.calls("usergroups.users.list")) == 2


def test_a_failed_lookup_counts_nobody_and_is_not_cached(slack_standin: SlackStandIn) -> None:
    clock = Clock()
    groups = directory(slack_standin, clock)
    slack_standin.set_usergroup("S0IAMOPS", ["U0A"])
    slack_standin.error_next("usergroups.users.list", "missing_scope")

    assert groups.members("S0IAMOPS") == frozenset()
    assert groups.members("S0IAMOPS") == frozenset({"U0A"})
    assert groups.members("S0NOSUCH") == frozenset()  # no_such_subteam
    assert len(slack_standin.calls("usergroups.users.list")) == 3


def test_a_ttl_of_zero_asks_every_time(slack_standin: SlackStandIn) -> None:
    groups = directory(slack_standin, Clock(), ttl=0)
    slack_standin.set_usergroup("S0IAMOPS", ["U0A"])

    for _ in range(3):
        assert groups.members("S0IAMOPS") == frozenset({"U0A"})

    assert len(slack_standin.calls("usergroups.users.list")) == 3
