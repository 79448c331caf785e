"""Who may question socbot, over real HTTP: the policy's askers (users and user groups) and
approvers; anyone else is refused on record. Recording containment is for approvers only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.runtime import Runtime
from bot.slack.answers.askers import NOT_AN_APPROVER, NOT_AN_ASKER
from tests.slack.approval_scene import Scene, serve_scene, until
from tests.slack.test_slash_command import ResponseUrl, command
from tests.support.approvals import audit_rows, park_revoke_sessions
from tests.support.slack import app_mention
from tests.support.slack_standin import SlackStandIn, SlackUser

STRANGER = "U0NOBODY"
GROUP_MEMBER = "U0TRIAGER"
ASKERS_GROUP = "S0SOCANALYSTS"  # named under askers in policy.yaml


@pytest.fixture
def s(make_runtime: Callable[..., Runtime], slack_standin: SlackStandIn) -> Iterator[Scene]:
    slack_standin.add_user(SlackUser(GROUP_MEMBER, email="tri.ager@lab.example"))
    slack_standin.add_user(SlackUser(STRANGER, email="some.one@elsewhere.example"))
    slack_standin.set_usergroup(ASKERS_GROUP, [GROUP_MEMBER])
    yield from serve_scene(make_runtime, slack_standin)


@pytest.fixture
def response_url() -> Iterator[ResponseUrl]:
    catcher = ResponseUrl()
    yield catcher
    catcher.close()


def refusals(s: Scene, user: str) -> list[dict[str, Any]]:
    return [r for r in audit_rows(s.runtime, "slack.refused") if r["actor"] == user]


def test_a_stranger_mentioning_socbot_is_refused_on_record_and_nothing_is_asked(
    s: Scene,
) -> None:
    event = app_mention("<@U0SOCBOT> list the sessions of p-maria-chen", user=STRANGER)
    assert s.served.post_event(event).status == 200
    s.settle(lambda: bool(s.ephemerals_to(STRANGER)))

    assert s.ephemerals_to(STRANGER) == [NOT_AN_ASKER]
    [refused] = refusals(s, STRANGER)
    assert refused["data"]["why"] == "not allowed to question socbot"
    assert refused["data"]["ts"] == event["ts"]
    assert audit_rows(s.runtime, "prompt") == []  # no model was asked anything
    assert s.slack.calls("chat.postMessage") == []


@pytest.mark.parametrize("verb", ["pending", "show"])
def test_pending_and_show_are_for_askers_only(s: Scene, verb: str) -> None:
    request_id = park_revoke_sessions(s.runtime)
    text = f"{verb} {request_id}"

    refused = command(s, text, user_id=STRANGER)["text"]
    allowed = command(s, text)["text"]  # the analyst named under askers
    by_group = command(s, text, user_id=GROUP_MEMBER)["text"]
    by_approver = command(s, text, user_id="U0IDADMIN2")["text"]

    assert refused == NOT_AN_ASKER
    assert request_id in allowed and request_id in by_group and request_id in by_approver
    [row] = refusals(s, STRANGER)
    assert row["data"]["command"] == f"/socbot {verb}"


def test_contained_is_for_approvers_only(s: Scene, response_url: ResponseUrl) -> None:
    command(s, "contained grp_x rotated the key by hand", response_url=response_url.url)
    until(lambda: len(response_url.posts) == 1)

    assert response_url.posts[0]["text"] == NOT_AN_APPROVER
    assert audit_rows(s.runtime, "human.action") == []
    [row] = refusals(s, "U0ANALYST1")
    assert row["data"]["why"] == "not allowed to /socbot contained"
