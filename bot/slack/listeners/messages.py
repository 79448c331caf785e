"""Mentions of socbot and direct messages to it: each becomes a question answered in its
thread by a worker (bot.slack.answers.conversation), so Slack gets its ack at once.

Other messages outside the alert-intake channel are acknowledged and left alone.
Ignored: anything a bot wrote (socbot included), message subtypes (edits, deletions, joins,
bot messages) and the alert-intake channel (bot.slack.listeners.alert_channel reads that).
Events from another workspace never get here: the app's event gate refuses them on record.
"""

from __future__ import annotations

import functools
from typing import Any

from slack_bolt import App

from bot.slack.answers.conversation import answer_in_thread
from bot.slack.context import SlackContext

Event = dict[str, Any]


def register(app: App, ctx: SlackContext) -> None:
    """Attach this module's listeners to app."""

    def on_mention(event: Event) -> None:
        handle_question(ctx, event)

    def is_direct_message(event: Event) -> bool:
        return event.get("channel_type") == "im"

    def outside_intake_channel(event: Event) -> bool:
        return event.get("channel") != ctx.settings.slack_alert_intake_channel

    def on_other_message(event: Event) -> None:
        """Channel chatter without a mention: nothing to do, but Slack gets its 200 (an
        unhandled event answers 404, which Slack retries and counts against the app)."""

    app.event("app_mention")(on_mention)
    app.event("message", matchers=[is_direct_message])(on_mention)
    app.event("message", matchers=[outside_intake_channel])(on_other_message)


def handle_question(ctx: SlackContext, event: Event) -> None:
    if not _is_question(ctx, event):
        return
    channel, ts = str(event["channel"]), str(event["ts"])
    thread_ts = str(event.get("thread_ts") or ts)
    work = functools.partial(
        answer_in_thread,
        ctx,
        channel=channel,
        thread_ts=thread_ts,
        user=str(event["user"]),
        text=str(event.get("text") or ""),
        message_ts=ts,
    )
    ctx.workers.submit("answering", work, reply_to=(channel, thread_ts), user=str(event["user"]))


def _is_question(ctx: SlackContext, event: Event) -> bool:
    if event.get("subtype") or event.get("bot_id") or event.get("bot_profile"):
        return False
    user = event.get("user")
    if not user or user == ctx.bot_user_id:
        return False
    if not event.get("channel") or not event.get("ts"):
        return False
    return event.get("channel") != ctx.settings.slack_alert_intake_channel
