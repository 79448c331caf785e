"""Posting and redrawing approval cards. A card is always drawn from the stored request, its
standing approvals and the current approver rule (bot.slack.blocks.approval_card), never from
model text.

Redraws of one card are serialised in this process, so an older state cannot be painted over
a newer one by two workers finishing out of order.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from sqlmodel import select

from bot.actions import approvals as ab
from bot.actions.approvals import ActionRequest
from bot.clock import utcnow
from bot.db import session_scope
from bot.errors import ApprovalError
from bot.posts import PostRef
from bot.slack.approvals.blast import assess_now, blast_radius_for
from bot.slack.blocks.approval_card import Card, CardView, approval_card, result_reply
from bot.slack.context import SlackContext

log = logging.getLogger(__name__)

_CARD_LOCKS = tuple(threading.Lock() for _ in range(64))
_thread_roots: dict[tuple[str, str], str] = {}
THREAD_ROOTS_KEPT = 1_000


def post_approval_card(
    ctx: SlackContext, request_id: str, *, channel: str, thread_ts: str | None
) -> PostRef:
    """Post the card for a parked ActionRequest, remember where it is, return its ref.

    A request that already has a card keeps it: one action, one place to approve it."""
    request = ctx.runtime.approvals.get(request_id)
    if request.status == ab.RECOMMENDED:
        raise ApprovalError(
            f"{request_id} is a drafted recommendation; only parked actions get cards"
        )
    if request.slack_channel and request.slack_ts:
        return PostRef(request.slack_channel, request.slack_ts)
    blast = blast_radius_for(ctx.runtime, request) or assess_now(ctx.runtime, request)
    card = render_card(ctx, request, blast=blast)
    response = ctx.client.chat_postMessage(
        channel=channel,
        thread_ts=thread_ts,
        blocks=card.blocks,
        text=card.text,
        unfurl_links=False,
        unfurl_media=False,
    )
    ref = PostRef(str(response["channel"]), str(response["ts"]))
    ctx.runtime.approvals.set_slack_message(request_id, ref.channel, ref.ts)
    _remember_thread(ref.channel, ref.ts, thread_ts or ref.ts)
    return ref


def refresh_card(ctx: SlackContext, request_id: str) -> None:
    """Redraw the card from the stored request and approvals (status, counts, expiry)."""
    with _lock_for(request_id):
        request = ctx.runtime.approvals.get(request_id)
        if not (request.slack_channel and request.slack_ts):
            return
        card = render_card(ctx, request)
        ctx.client.chat_update(
            channel=request.slack_channel, ts=request.slack_ts, blocks=card.blocks, text=card.text
        )


def refresh_expired_cards(ctx: SlackContext, *, now: datetime | None = None) -> list[str]:
    """Expire what is due and redraw those cards; the ids expired."""
    expired = ctx.runtime.approvals.expire_due(now)
    for request_id in expired:
        try:
            refresh_card(ctx, request_id)
        except Exception:  # one card Slack refuses must not keep the others stale
            log.exception("could not redraw the expired card of %s", request_id)
    return expired


def reply_with_result(ctx: SlackContext, request_id: str) -> None:
    """Post the action's outcome in the card's thread."""
    request = ctx.runtime.approvals.get(request_id)
    if not (request.slack_channel and request.slack_ts):
        return
    reply = result_reply(request)
    ctx.client.chat_postMessage(
        channel=request.slack_channel,
        thread_ts=thread_of_card(ctx, request.slack_channel, request.slack_ts),
        blocks=reply.blocks,
        text=reply.text,
        unfurl_links=False,
        unfurl_media=False,
    )


def render_card(
    ctx: SlackContext, request: ActionRequest, *, blast: dict[str, object] | None = None
) -> Card:
    runtime = ctx.runtime
    view = CardView(
        request=request,
        approvals=runtime.approvals.approvals_of(request.id),
        rule=runtime.approver_rule(request.tool),
        blast_radius=blast if blast is not None else blast_radius_for(runtime, request),
        now=utcnow(),
        emoji=(ctx.settings.approve_emoji, ctx.settings.reject_emoji),
    )
    return approval_card(view)


def request_for_message(ctx: SlackContext, channel: str, ts: str) -> ActionRequest | None:
    """The action whose card is the message at (channel, ts), if that message is a card."""
    query = select(ActionRequest).where(
        ActionRequest.slack_channel == channel, ActionRequest.slack_ts == ts
    )
    with session_scope(ctx.runtime.engine) as session:
        return session.exec(query).first()


def thread_of_card(ctx: SlackContext, channel: str, ts: str) -> str:
    """The ts of the thread the card sits in: its parent when the card is a reply, else the
    card itself. Replies go there, as Slack asks (never to a reply's ts)."""
    known = _thread_roots.get((channel, ts))
    if known is not None:
        return known
    try:
        response = ctx.client.conversations_replies(channel=channel, ts=ts, limit=1)
        messages = response.get("messages") or []
    except Exception:  # a reply under the card still reaches its readers
        log.warning("could not find the thread of card %s/%s", channel, ts, exc_info=True)
        return ts
    root = next((str(m["thread_ts"]) for m in messages if m.get("thread_ts")), ts)
    _remember_thread(channel, ts, root)
    return root


def forget_thread_roots() -> None:
    """Drop what this process remembers of card threads (as a restart would)."""
    _thread_roots.clear()


def _remember_thread(channel: str, ts: str, root: str) -> None:
    if len(_thread_roots) >= THREAD_ROOTS_KEPT:
        _thread_roots.clear()
    _thread_roots[(channel, ts)] = root


def _lock_for(request_id: str) -> threading.Lock:
    return _CARD_LOCKS[hash(request_id) % len(_CARD_LOCKS)]
