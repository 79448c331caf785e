"""What the model proposed, shown in a Slack thread: recommendations as drafts, actions that
need approval as approval cards, refusals as a line saying why.

Triage posts and thread answers both end here, so an action looks the same wherever it was
proposed. Nothing here runs a tool: a draft is text for a person, a card waits for approvers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from slack_sdk.errors import SlackApiError

from bot.alerts.triage.verdict import ProposedAction
from bot.executor.dispatch import ToolOutcome
from bot.slack.approvals import cards as approval_cards
from bot.slack.blocks.escape import inert_json, inline_code, mrkdwn
from bot.slack.context import SlackContext

log = logging.getLogger(__name__)

DRAFT_HEADER = (
    ":memo: *Draft recommendation* (socbot will not run this; a person carries it out "
    "if they agree)"
)


def as_proposed(outcomes: Iterable[ToolOutcome]) -> list[ProposedAction]:
    """Every outcome that is not a plain read, as the proposals a triage reports."""
    return [
        ProposedAction(
            tool=o.tool, status=o.status, request_id=o.request_id, rule=o.rule, detail=o.content
        )
        for o in outcomes
        if o.status != "ok"
    ]


def post_proposals(
    ctx: SlackContext, actions: Sequence[ProposedAction], *, channel: str, thread_ts: str
) -> None:
    """Post a draft for each recommendation and an approval card for each action awaiting
    approval, in the thread. Refusals are the caller's to word (see refusal_line)."""
    posted: set[str] = set()
    for action in actions:
        request_id = action.request_id
        if request_id is None or request_id in posted:
            continue  # nothing parked, or the model asked twice and got the same request
        if action.status == "recommended":
            post_draft(ctx, request_id, channel=channel, thread_ts=thread_ts)
        elif action.status == "awaiting_approval":
            post_card(ctx, request_id, channel=channel, thread_ts=thread_ts)
        posted.add(request_id)


def post_draft(ctx: SlackContext, request_id: str, *, channel: str, thread_ts: str) -> str:
    """The recommendation as a draft message in the thread; its ts."""
    request = ctx.runtime.approvals.get(request_id)
    target = f" on {inline_code(request.target)}" if request.target else ""
    text = (
        f"{DRAFT_HEADER}\n{inline_code(request.tool)}{target} · id {inline_code(request.id)}"
        f"\nArguments:\n```{inert_json(request.args)}```"
    )
    response = ctx.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
    return str(response["ts"])


def post_card(ctx: SlackContext, request_id: str, *, channel: str, thread_ts: str) -> None:
    """The approval card in the thread, or in the approvals channel with a link in the thread.
    A request whose card is already posted (a publish retried) gets no second card."""
    if ctx.runtime.approvals.get(request_id).slack_ts:
        return
    approvals_channel = ctx.settings.slack_approvals_channel
    if not approvals_channel or approvals_channel == channel:
        approval_cards.post_approval_card(ctx, request_id, channel=channel, thread_ts=thread_ts)
        return
    card = approval_cards.post_approval_card(
        ctx, request_id, channel=approvals_channel, thread_ts=None
    )
    request = ctx.runtime.approvals.get(request_id)
    text = (
        f":lock: {inline_code(request.tool)} needs approval ({inline_code(request_id)}): "
        f"{_link_to(ctx, card.channel, card.ts)}"
    )
    ctx.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)


def refusal_line(action: ProposedAction) -> str:
    reason = action.detail.get("reason") or action.detail.get("error") or action.status
    rule = f" ({inline_code(action.rule)})" if action.rule else ""
    verb = "refused by policy" if action.status == "denied" else action.status
    return f":no_entry: {inline_code(action.tool)} {verb}{rule}: {mrkdwn(reason, 500)}"


def _link_to(ctx: SlackContext, channel: str, ts: str) -> str:
    try:
        response = ctx.client.chat_getPermalink(channel=channel, message_ts=ts)
        return f"<{response['permalink']}|open the card> (in <#{channel}>)"
    except (SlackApiError, OSError, KeyError):  # a link is a convenience; the card is posted
        log.warning("no permalink for the card %s/%s", channel, ts, exc_info=True)
        return f"the card is in <#{channel}>"
