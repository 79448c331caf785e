"""Reactions that must not count, each over real HTTP: audited under the reactor's Slack id,
explained to the reactor ephemerally, and the lab left as it was."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.actions import approvals as ab
from bot.runtime import Runtime
from bot.slack.approvals.reactors import BOT, ELSEWHERE
from tests.slack.approval_scene import APPROVE, IAM_GROUP, Scene, serve_scene
from tests.support.approvals import (
    about,
    audit_rows,
    live_session_count,
    park_revoke_sessions,
    tool_runs,
)
from tests.support.slack import (
    BOT_USER_ID,
    OTHER_TEAM_ID,
    event_callback,
    reaction,
)
from tests.support.slack_standin import SlackStandIn, SlackUser


@pytest.fixture
def s(make_runtime: Callable[..., Runtime], slack_standin: SlackStandIn) -> Iterator[Scene]:
    yield from serve_scene(make_runtime, slack_standin)


def refused_once(s: Scene, request_id: str, user: str) -> str:
    """Wait for the reactor's ephemeral note; the one audited reason."""
    s.settle(lambda: len(s.ephemerals_to(user)) == 1)
    [reason] = s.refusals_of(request_id, user)
    assert reason in s.ephemerals_to(user)[0]
    return reason


def test_a_non_approver_copying_an_approvers_name_is_refused(s: Scene) -> None:
    s.slack.add_user(
        SlackUser(
            "U0IMPOSTOR",
            email="ana.lima@evil.example",
            real_name="Ana Lima",
            display_name="Ana Lima",
        )
    )
    request_id = park_revoke_sessions(s.runtime)
    ref = s.card(request_id)

    s.react(ref, "U0IMPOSTOR")
    reason = refused_once(s, request_id, "U0IMPOSTOR")

    assert "U0IMPOSTOR is not an approver for revoke_sessions" in reason
    assert s.request(request_id).status == ab.PENDING
    assert tool_runs(s.runtime, "revoke_sessions") == 0
    assert s.card_title(ref) == "Approval needed: revoke_sessions"


def test_the_requester_cannot_approve_their_own_action(s: Scene) -> None:
    request_id = park_revoke_sessions(s.runtime, requester="U0IDADMIN2")
    ref = s.card(request_id)

    s.react(ref, "U0IDADMIN2")
    reason = refused_once(s, request_id, "U0IDADMIN2")

    assert reason == "the requester cannot approve their own action"
    assert s.request(request_id).status == ab.PENDING
    assert tool_runs(s.runtime, "revoke_sessions") == 0


def test_the_target_cannot_approve_even_under_an_account_known_only_by_email(
    s: Scene,
) -> None:
    # A second Slack account whose only link to Maria is her email, in an approver group.
    s.slack.add_user(SlackUser("U0MARIA2ND", email="Maria.Chen@lab.example", real_name="M"))
    s.slack.set_usergroup(IAM_GROUP, ["U0MARIA2ND"])
    request_id = park_revoke_sessions(s.runtime, "p-maria-chen")
    ref = s.card(request_id)

    s.react(ref, "U0MARIA2ND")
    reason = refused_once(s, request_id, "U0MARIA2ND")

    assert reason == "the target of an action cannot approve it"
    assert s.request(request_id).status == ab.PENDING
    assert live_session_count(s.runtime, "p-maria-chen") > 0


def test_a_member_of_an_approver_usergroup_counts(s: Scene) -> None:
    s.slack.add_user(SlackUser("U0IAMOPS7", email="ops7@lab.example"))
    s.slack.set_usergroup(IAM_GROUP, ["U0IAMOPS7"])
    request_id = park_revoke_sessions(s.runtime)
    ref = s.card(request_id)

    s.react(ref, "U0IAMOPS7")
    s.settle(lambda: s.card_title(ref) == "Executed: revoke_sessions")

    assert live_session_count(s.runtime, "p-maria-chen") == 0
    lookups = s.slack.calls("usergroups.users.list")
    assert {c.params["usergroup"] for c in lookups} == {IAM_GROUP}


def test_a_usergroup_slack_cannot_list_counts_nobody(s: Scene) -> None:
    s.slack.add_user(SlackUser("U0IAMOPS7", email="ops7@lab.example"))
    s.slack.set_usergroup(IAM_GROUP, ["U0IAMOPS7"])
    s.slack.error_next("usergroups.users.list", "ratelimited", times=5)
    request_id = park_revoke_sessions(s.runtime)
    ref = s.card(request_id)

    s.react(ref, "U0IAMOPS7")
    reason = refused_once(s, request_id, "U0IAMOPS7")

    assert "not an approver" in reason
    assert tool_runs(s.runtime, "revoke_sessions") == 0


def test_a_reaction_from_another_bot_is_refused(s: Scene) -> None:
    s.slack.add_user(SlackUser("U0OTHERBOT", is_bot=True, real_name="Ana Lima"))
    request_id = park_revoke_sessions(s.runtime)
    ref = s.card(request_id)

    s.react(ref, "U0OTHERBOT")
    reason = refused_once(s, request_id, "U0OTHERBOT")

    assert reason == BOT
    assert s.request(request_id).status == ab.PENDING
    assert tool_runs(s.runtime, "revoke_sessions") == 0


def test_socbots_own_reaction_never_counts(s: Scene) -> None:
    request_id = park_revoke_sessions(s.runtime)
    ref = s.card(request_id)

    s.react(ref, BOT_USER_ID)  # Bolt drops the app's own events before any listener
    s.react(ref, "U0NOBODY")  # refused and told: by then socbot's own reaction was handled
    s.settle(lambda: len(s.refusals_of(request_id, "U0NOBODY")) == 1)

    assert s.runtime.approvals.approvals_of(request_id) == []
    users_looked_up = {c.params["user"] for c in s.slack.calls("users.info")}
    assert users_looked_up == {"U0NOBODY"}
    assert s.request(request_id).status == ab.PENDING
    assert tool_runs(s.runtime, "revoke_sessions") == 0


def test_an_approver_id_from_another_workspace_is_refused(s: Scene) -> None:
    # users.info says this person belongs to another workspace (a shared channel guest).
    s.slack.add_user(SlackUser("U0GUEST", team_id=OTHER_TEAM_ID, email="g@partner.example"))
    policy = s.runtime.settings.policy_path
    policy.write_text(
        policy.read_text().replace("[U0IDADMIN1, U0IDADMIN2, U0IDADMIN3]", "[U0GUEST, U0IDADMIN2]")
    )
    s.runtime.policies.reload()
    request_id = park_revoke_sessions(s.runtime)
    ref = s.card(request_id)

    s.react(ref, "U0GUEST")
    reason = refused_once(s, request_id, "U0GUEST")

    assert reason == ELSEWHERE
    assert s.request(request_id).status == ab.PENDING
    assert tool_runs(s.runtime, "revoke_sessions") == 0


def test_an_event_from_another_workspace_is_dropped_and_audited(s: Scene) -> None:
    request_id = park_revoke_sessions(s.runtime)
    ref = s.card(request_id)
    event = reaction(APPROVE, channel=ref.channel, ts=ref.ts, user="U0IDADMIN2")

    response = s.served.post_event(event_callback(event, team_id=OTHER_TEAM_ID))
    s.settle(lambda: len(audit_rows(s.runtime, "slack.refused")) == 1)

    assert response.status == 200
    [row] = audit_rows(s.runtime, "slack.refused")
    assert row["actor"] == "U0IDADMIN2" and OTHER_TEAM_ID in row["data"]["why"]
    assert s.request(request_id).status == ab.PENDING
    assert about(audit_rows(s.runtime, "approval.granted"), request_id) == []
    assert tool_runs(s.runtime, "revoke_sessions") == 0


def test_a_person_slack_cannot_describe_is_refused(s: Scene) -> None:
    request_id = park_revoke_sessions(s.runtime)
    ref = s.card(request_id)
    s.slack.error_next("users.info", "internal_error")

    s.react(ref, "U0IDADMIN2")
    s.settle(lambda: len(s.refusals_of(request_id, "U0IDADMIN2")) == 1)

    assert "users.info failed" in s.refusals_of(request_id, "U0IDADMIN2")[0]
    assert s.request(request_id).status == ab.PENDING
    assert tool_runs(s.runtime, "revoke_sessions") == 0


def test_other_emoji_on_a_card_are_ignored(s: Scene) -> None:
    request_id = park_revoke_sessions(s.runtime)
    ref = s.card(request_id)

    for emoji in ("eyes", "+1", "heavy_check_mark", "white_check_mark_2", "X"):
        s.react(ref, "U0IDADMIN2", emoji)
    s.react(ref, "U0NOBODY")  # refused and told: by then the emoji above were handled
    s.settle(lambda: len(s.refusals_of(request_id, "U0NOBODY")) == 1)

    assert s.refusals_of(request_id, "U0IDADMIN2") == []
    assert s.ephemerals_to("U0IDADMIN2") == []
    assert s.runtime.approvals.approvals_of(request_id) == []
    assert audit_rows(s.runtime, "analyst.feedback") == []
    assert s.request(request_id).status == ab.PENDING


def test_an_approve_emoji_in_another_skin_tone_counts(s: Scene) -> None:
    request_id = park_revoke_sessions(s.runtime)
    ref = s.card(request_id)

    s.react(ref, "U0IDADMIN2", APPROVE + "::skin-tone-4")
    s.settle(lambda: s.card_title(ref) == "Executed: revoke_sessions")

    assert tool_runs(s.runtime, "revoke_sessions") == 1
