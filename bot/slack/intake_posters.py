"""Who may post alerts into the intake channel: the bots and apps the settings name.

An alert posted there is triaged and may park an action; if anyone in the channel could post
one, they could request an action and then approve it themselves. So a post counts only when
its bot id or app id is configured (SOCBOT_ALERT_INTAKE_POSTERS), a refused post is audited
(slack.refused), and every id a post carries (bot, app, and the user behind a workflow post)
is kept as the alert's origin, which may not approve what its triage asks for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.audit.event import EventKind
from bot.slack.context import SlackContext


def poster_ids(event: Mapping[str, Any]) -> list[str]:
    """Every Slack id the post names as its sender, sorted."""
    profile = event.get("bot_profile")
    app_in_profile = profile.get("app_id") if isinstance(profile, Mapping) else None
    found = (event.get("bot_id"), event.get("app_id"), app_in_profile, event.get("user"))
    return sorted({str(value) for value in found if isinstance(value, str) and value})


def may_post(event: Mapping[str, Any], allowed: Iterable[str]) -> bool:
    """The post comes from a configured bot or app (a user id alone never qualifies)."""
    profile = event.get("bot_profile")
    app_in_profile = profile.get("app_id") if isinstance(profile, Mapping) else None
    senders = {event.get("bot_id"), event.get("app_id"), app_in_profile} - {None, ""}
    return bool(senders & set(allowed))


def refuse_poster(ctx: SlackContext, event: Mapping[str, Any]) -> None:
    ids = poster_ids(event)
    ctx.runtime.audit.record(
        EventKind.SLACK_EVENT_REFUSED,
        actor=(ids[-1] if ids else "unknown")[:128],
        data={
            "why": "not a configured alert poster for the intake channel",
            "channel": event.get("channel"),
            "ts": event.get("ts"),
            "poster": ids,
            "event": "message",
        },
    )
