"""/socbot: help, pending, policy, show <request id>, contained <alert or group id> <note>.

Every answer is ephemeral and given in the ack, built from the database without a Web API
call; recording containment (an audit write and look-ups) runs on a worker and answers
through respond().
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.errors import EXPECTED_ERRORS
from bot.slack.approvals.containment import record_contained
from bot.slack.blocks.escape import inline_code, mrkdwn
from bot.slack.context import SlackContext
from bot.slack.slash import help_text, pending_text, policy_text, show_text

log = logging.getLogger(__name__)

USAGE_CONTAINED = "Usage: `/socbot contained <alert or group id> <what you did>`"
USAGE_SHOW = "Usage: `/socbot show <request id>` (ids are on the cards and in `/socbot pending`)"


def register(app: App, ctx: SlackContext) -> None:
    """Attach this module's listeners to app."""

    @app.command("/socbot")
    def socbot(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        words = str(command.get("text") or "").strip().split(maxsplit=2)
        verb = words[0].lower() if words else "help"
        if verb == "contained":
            _contained(ctx, ack, respond, command, words[1:])
            return
        ack(text=answer(ctx, verb, words[1:]), response_type="ephemeral")


def answer(ctx: SlackContext, verb: str, rest: list[str]) -> str:
    """The ephemeral reply to every subcommand but contained."""
    runtime = ctx.runtime
    try:
        if verb == "pending":
            return pending_text(runtime)
        if verb == "policy":
            return policy_text(runtime.policies.current)
        if verb == "show":
            return show_text(runtime, runtime.approvals.get(rest[0])) if rest else USAGE_SHOW
    except EXPECTED_ERRORS as exc:
        return f":warning: {mrkdwn(exc, 500)}"
    text = help_text(ctx.settings.approve_emoji, ctx.settings.reject_emoji)
    if verb != "help":
        return f"I do not know {inline_code(verb, 40)}.\n{text}"
    return text


def _contained(
    ctx: SlackContext, ack: Ack, respond: Respond, command: dict[str, Any], rest: list[str]
) -> None:
    if len(rest) < 2 or not rest[1].strip():
        ack(text=USAGE_CONTAINED, response_type="ephemeral")
        return
    ref, note = rest[0], rest[1]
    ack(text=f"Recording containment for {inline_code(ref, 60)}…", response_type="ephemeral")
    user, channel = str(command.get("user_id")), command.get("channel_id")
    ctx.workers.submit(
        "recording containment",
        _record,
        ctx,
        respond,
        user,
        ref,
        note,
        channel,
        reply_to=(str(channel), None) if channel else None,
        user=user,
    )


def _record(
    ctx: SlackContext, respond: Callable[..., Any], user: str, ref: str, note: str, channel: Any
) -> None:
    try:
        done = record_contained(ctx.runtime, user, ref, note, channel=channel)
    except EXPECTED_ERRORS as exc:
        respond(text=f":warning: {mrkdwn(exc, 500)}", response_type="ephemeral")
        return
    alerts = ", ".join(inline_code(a, 40) for a in done.alert_ids[:10])
    more = f" and {len(done.alert_ids) - 10} more" if len(done.alert_ids) > 10 else ""
    respond(
        text=f":shield: Recorded: {inline_code(ref, 60)} contained by <@{user}> "
        f"({len(done.alert_ids)} alert(s): {alerts}{more}). Note: {mrkdwn(done.note, 500)}",
        response_type="ephemeral",
    )
