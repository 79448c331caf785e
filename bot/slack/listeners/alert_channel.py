"""The alert-intake channel: alerts that other integrations post into
settings.slack_alert_intake_channel are taken in like webhook alerts (Intake, via "slack").

Only top-level messages count (replies in threads are people talking, or socbot's own
answers). A message that offers no JSON is left alone; one whose JSON the intake refuses is
answered in its thread with the reason and the rejected id, so the sender can fix it.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from slack_bolt import App

from bot.alerts.intake.pipeline import Intake
from bot.slack.alert_message import alert_body
from bot.slack.blocks.escape import inline_code, mrkdwn
from bot.slack.context import SlackContext

log = logging.getLogger(__name__)

Event = dict[str, Any]
# Message subtypes that are a new message someone posted; edits, deletions, joins are not.
NEW_MESSAGE_SUBTYPES = frozenset({None, "bot_message", "file_share"})


def register(app: App, ctx: SlackContext) -> None:
    """Attach this module's listeners to app."""
    intake_channel = ctx.settings.slack_alert_intake_channel
    if not intake_channel:
        return

    def in_intake_channel(event: Event) -> bool:
        return event.get("channel") == intake_channel

    def on_message(event: Event) -> None:
        handle_intake_message(ctx, event)

    app.event("message", matchers=[in_intake_channel])(on_message)


def handle_intake_message(ctx: SlackContext, event: Event) -> None:
    if not _is_new_post(ctx, event):
        return
    body = alert_body(event)
    if body is None:
        log.debug("message %s in the intake channel holds no JSON; left alone", event.get("ts"))
        return
    channel, ts = str(event["channel"]), str(event["ts"])
    work = functools.partial(ingest, ctx, body, channel=channel, ts=ts)
    ctx.workers.submit("taking in the alert", work, reply_to=(channel, ts))


def ingest(ctx: SlackContext, body: str, *, channel: str, ts: str) -> None:
    """Hand the body to the intake; answer a rejection in the message's thread."""
    outcome = Intake(ctx.runtime).accept(body, source=None, via="slack")
    if outcome.status != "rejected":
        return
    text = (
        f":x: Not taken in as an alert: {mrkdwn(outcome.reason or 'no reason given', 1_000)}"
        f"\nRejected id: {inline_code(outcome.rejected_id or 'none')} "
        "(socbot keeps the payload under that id for its admins)"
    )
    ctx.client.chat_postMessage(channel=channel, thread_ts=ts, text=text)


def _is_new_post(ctx: SlackContext, event: Event) -> bool:
    if event.get("subtype") not in NEW_MESSAGE_SUBTYPES:
        return False
    if event.get("thread_ts") and event.get("thread_ts") != event.get("ts"):
        return False
    if event.get("user") == ctx.bot_user_id:
        return False
    if ctx.bot_id and event.get("bot_id") == ctx.bot_id:
        return False
    return bool(event.get("channel") and event.get("ts"))
