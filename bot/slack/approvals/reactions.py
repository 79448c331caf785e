"""Approving by reaction: the approve emoji counts a yes, the reject emoji cancels, removing
the approve emoji before the action runs withdraws the yes.

Every verdict goes through ApprovalBook (who may approve, the requester, the target, distinct
approvers, expiry), which audits it under the reactor's Slack user id; the reasons that come
before those rules (bots, other workspaces) are audited here the same way. A reaction that
does not count is explained to the reactor ephemerally. At quorum the action runs once, on
this worker, with a fresh credential; its result goes to the card's thread.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.actions import approvals as ab
from bot.actions.approvals import ActionRequest
from bot.config import Settings
from bot.errors import ApprovalError
from bot.slack.approvals.cards import (
    refresh_card,
    reply_with_result,
    request_for_message,
    thread_of_card,
)
from bot.slack.approvals.reactors import OWN, look_up, refusal_before_rules
from bot.slack.blocks.escape import mrkdwn
from bot.slack.context import SlackContext
from bot.slack.triage import feedback

log = logging.getLogger(__name__)

VIA = "slack"


def verdict_of(settings: Settings, reaction: Any) -> str | None:
    """approve, reject, or None for any other emoji (a skin tone does not matter)."""
    name = str(reaction or "").split("::", 1)[0]
    if name == settings.approve_emoji:
        return "approve"
    if name == settings.reject_emoji:
        return "reject"
    return None


def on_reaction(ctx: SlackContext, body: Mapping[str, Any], added: bool) -> None:
    """A reaction_added/removed event: a verdict on a card, or else maybe analyst feedback."""
    event = body.get("event") or {}
    item = event.get("item") or {}
    channel, ts, user = item.get("channel"), item.get("ts"), event.get("user")
    if item.get("type") != "message" or not channel or not ts or not user:
        return
    request = request_for_message(ctx, str(channel), str(ts))
    if request is None:
        feedback.record_feedback_reaction(ctx, dict(event), added=added)
        return
    verdict = verdict_of(ctx.settings, event.get("reaction"))
    if verdict is None:
        return
    if added:
        give_verdict(ctx, body, request, str(user), verdict)
    else:
        take_back(ctx, request, str(user), verdict)


def give_verdict(
    ctx: SlackContext, body: Mapping[str, Any], request: ActionRequest, user: str, verdict: str
) -> None:
    event = body.get("event") or {}
    reactor = None if user == ctx.bot_user_id else look_up(ctx, user)
    refusal = refusal_before_rules(ctx, body, event, reactor)
    if refusal is not None or reactor is None:
        refuse(ctx, request, user, refusal or OWN)
        return
    outcome = ctx.runtime.approvals.decide(
        request.id, user, verdict, via=VIA, approver_aliases=reactor.aliases
    )
    if not outcome.counted:
        reason = mrkdwn(outcome.reason, 500)
        tell(ctx, request, user, f"Your :{_emoji(ctx, verdict)}: did not count: {reason}.")
    if outcome.counted or outcome.status != request.status:
        refresh_card(ctx, request.id)
    if outcome.ready_to_execute:
        run_approved(ctx, request.id, actor=user)


def take_back(ctx: SlackContext, request: ActionRequest, user: str, verdict: str) -> None:
    """A removed reaction: withdraw a standing yes; explain when nothing can be taken back."""
    approvals = ctx.runtime.approvals
    if verdict == "approve" and approvals.withdraw(request.id, user, via=VIA):
        refresh_card(ctx, request.id)
        return
    mine = [a for a in approvals.approvals_of(request.id) if a.approver == user]
    if not mine:
        return  # the reaction never counted, so there is nothing to take back
    current = approvals.get(request.id)
    if mine[0].verdict == "reject":
        tell(ctx, current, user, "A rejection is final: the action stays rejected.")
    elif current.status not in ab.OPEN_STATUSES:
        tell(
            ctx,
            current,
            user,
            f"Too late to withdraw: the action is already {current.status}.",
        )


def run_approved(ctx: SlackContext, request_id: str, *, actor: str) -> None:
    """Execute once (the claim lets one caller through), then report in the card's thread."""
    runtime = ctx.runtime
    try:
        runtime.executor.execute_approved(request_id, actor=actor, limits=runtime.task_limits())
    except ApprovalError as exc:  # withdrawn, expired or claimed elsewhere in the meantime
        log.info("approved action %s did not run here: %s", request_id, exc)
        refresh_card(ctx, request_id)
        return
    except Exception:
        _report_outcome(ctx, request_id)  # execution recorded the failure; show it
        raise
    _report_outcome(ctx, request_id)


def refuse(ctx: SlackContext, request: ActionRequest, user: str, reason: str) -> None:
    """A reaction that cannot count before the approval rules: audited, then explained."""
    ctx.runtime.audit.record(
        "approval.refused",
        task_id=request.task_id,
        actor=user[:120],
        tool=request.tool,
        data={
            "request_id": request.id,
            "action_hash": request.action_hash,
            "reason": reason,
            "via": VIA,
        },
    )
    if user != ctx.bot_user_id:
        tell(ctx, request, user, f"Your reaction on this approval card did not count: {reason}.")


def tell(ctx: SlackContext, request: ActionRequest, user: str, text: str) -> None:
    """An ephemeral note to one person beside the card; a failure to tell is only logged."""
    if not (request.slack_channel and request.slack_ts):
        return
    thread = thread_of_card(ctx, request.slack_channel, request.slack_ts)
    try:
        ctx.client.chat_postEphemeral(
            channel=request.slack_channel,
            user=user,
            text=f"{text} (`{request.id}`)",
            thread_ts=thread if thread != request.slack_ts else None,
        )
    except Exception:
        log.warning("could not tell %s about %s", user, request.id, exc_info=True)


def _report_outcome(ctx: SlackContext, request_id: str) -> None:
    reply_with_result(ctx, request_id)
    refresh_card(ctx, request_id)


def _emoji(ctx: SlackContext, verdict: str) -> str:
    settings = ctx.settings
    return settings.approve_emoji if verdict == "approve" else settings.reject_emoji
