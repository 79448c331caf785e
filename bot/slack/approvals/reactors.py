"""Who reacted to an approval card, as Slack says (users.info), and the reasons a reaction
cannot count before the approval rules are even asked: socbot itself, bots and apps,
deactivated accounts, another workspace, or a person Slack cannot tell us about.

Only Slack user ids count as identity: a display name copying an approver's changes nothing.
The reactor's email travels with the id, so the target of an action cannot approve it under
an account the directory knows by email only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.slack.context import SlackContext

log = logging.getLogger(__name__)

OWN = "socbot's own reactions never count"
BOT = "reactions from bots and apps never count"
DEACTIVATED = "a deactivated account cannot approve"
ELSEWHERE = "reactions from another workspace do not count"
UNKNOWN = (
    "Slack could not tell socbot who you are (users.info failed), so the reaction cannot "
    "count; remove it and react again in a minute"
)


@dataclass(frozen=True)
class Reactor:
    user_id: str
    team_id: str | None
    is_bot: bool
    deleted: bool
    email: str | None

    @property
    def aliases(self) -> frozenset[str]:
        """The names ApprovalBook compares with the target's: the id and the email."""
        names = {self.user_id, self.email or ""}
        return frozenset(name.lower() for name in names if name)


def look_up(ctx: SlackContext, user_id: str) -> Reactor | None:
    """The reactor as users.info describes them; None when Slack does not answer."""
    try:
        response = ctx.client.users_info(user=user_id)
        user = response.get("user")
    except Exception as exc:  # fail closed: an unknown person approves nothing
        log.warning("users.info %s failed: %s", user_id, exc)
        return None
    if not isinstance(user, Mapping) or user.get("id") != user_id:
        return None
    profile = user.get("profile")
    profile = profile if isinstance(profile, Mapping) else {}
    email = profile.get("email")
    return Reactor(
        user_id=user_id,
        team_id=user.get("team_id"),
        is_bot=bool(user.get("is_bot")) or bool(profile.get("bot_id")),
        deleted=bool(user.get("deleted")),
        email=email if isinstance(email, str) else None,
    )


def refusal_before_rules(
    ctx: SlackContext,
    body: Mapping[str, Any],
    event: Mapping[str, Any],
    reactor: Reactor | None,
) -> str | None:
    """Why this reaction cannot count whatever the policy says, or None."""
    user = event.get("user")
    if user == ctx.bot_user_id:
        return OWN
    if _foreign(ctx, body.get("team_id"), event.get("user_team")):
        return ELSEWHERE
    if reactor is None:
        return UNKNOWN
    if reactor.is_bot:
        return BOT
    if reactor.deleted:
        return DEACTIVATED
    if _foreign(ctx, reactor.team_id):
        return ELSEWHERE
    return None


def _foreign(ctx: SlackContext, *teams: Any) -> bool:
    if ctx.team_id is None:
        return False
    return any(team and team != ctx.team_id for team in teams)
