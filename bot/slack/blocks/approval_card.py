"""Block Kit for approval cards, built only from the stored ActionRequest, its approvals and
the policy's approver rule: what approvers read is what runs, never what a model wrote about it.

approval_card(view) → Card(blocks, text). The card's status section changes with the request
(pending, approved, executed, failed, rejected, expired, voided); result_reply(request) is the
message posted in the card's thread once the action has run or been voided.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.actions import approvals as ab
from bot.actions.approvals import ActionRequest, Approval, ApproverRule
from bot.slack.blockkit import fit_message
from bot.slack.blocks import card_parts as parts
from bot.slack.blocks.escape import entities, inert_json, inline_code, mrkdwn, plain_text

HEADLINES = {
    ab.PENDING: "Approval needed",
    ab.APPROVED: "Approved",
    ab.EXECUTING: "Running",
    ab.EXECUTED: "Executed",
    ab.FAILED: "Failed",
    ab.UNKNOWN: "Outcome unknown",
    ab.REJECTED: "Rejected",
    ab.EXPIRED: "Expired",
    ab.VOIDED: "Voided",
}
STATUS_LINES = {
    ab.PENDING: ":hourglass_flowing_sand: *Waiting for approval*: {given}.{expiry}",
    ab.APPROVED: ":gear: *Approved* by {by}: running now.",
    ab.EXECUTING: ":gear: *Approved* by {by}: running now.",
    ab.EXECUTED: ":white_check_mark: *Executed*, approved by {by}. The result is in the thread.",
    ab.FAILED: ":warning: *Failed* after approval by {by}: {reason}",
    ab.UNKNOWN: ":warning: *Outcome unknown* after approval by {by}: {reason}",
    ab.REJECTED: ":no_entry: *Rejected* by {rejected_by}: nothing ran.",
    ab.EXPIRED: ":hourglass: *Expired* with {given}: nothing ran.",
    ab.VOIDED: ":no_entry_sign: *Voided*: {reason}. Nothing ran.",
}
RESULT_LIMIT = 2_400


@dataclass(frozen=True)
class Card:
    blocks: list[dict[str, Any]]
    text: str  # the fallback: notifications and clients without Block Kit


@dataclass(frozen=True)
class CardView:
    """Everything a card shows. `approvals` are the verdicts still standing (not withdrawn)."""

    request: ActionRequest
    approvals: Sequence[Approval]
    rule: ApproverRule | None
    blast_radius: Mapping[str, Any] | None
    now: datetime
    emoji: tuple[str, str] = field(default=("white_check_mark", "x"))  # approve, reject


def short_code(request: ActionRequest) -> str:
    return request.action_hash[:10]


def shown_action(request: ActionRequest) -> dict[str, Any]:
    """The action exactly as stored; the card's action block decodes back to this."""
    return {"tool": request.tool, "target": request.target, "args": request.args}


def approval_card(view: CardView) -> Card:
    request = view.request
    blocks = [
        _header(request),
        parts.section(_status(view), "status"),
        *parts.code_sections("action", "*Action* — runs exactly as shown:", shown_action(request)),
        parts.section(_why(request), "why"),
        parts.section(parts.blast_lines(view.blast_radius), "blast"),
        parts.section(_who_may_approve(view), "approvers"),
        parts.context(_meta(request), "meta"),
    ]
    if request.status == ab.PENDING:
        blocks.append(parts.context(_how_to(view), "howto"))
    return fitted_card(request, blocks, _fallback(request))


def result_reply(request: ActionRequest) -> Card:
    """The thread reply once an action has an outcome: its status and the tool's answer."""
    headline = f"{HEADLINES.get(request.status, request.status)}: {_what(request)}"
    ids = f"{inline_code(request.id, 40)}, hash {inline_code(short_code(request), 20)}"
    lines = [f"*{headline}* ({ids})"]
    if request.status_reason:
        lines.append(f"Reason: {mrkdwn(request.status_reason, 500)}")
    blocks = [parts.section("\n".join(lines), "outcome")]
    if request.result_json:
        blocks.append(parts.section(_result_code(request.result_json), "result"))
    return fitted_card(request, blocks, mrkdwn(headline, 300))


def fitted_card(request: ActionRequest, blocks: list[dict[str, Any]], text: str) -> Card:
    """The card within Slack's limits; a cut points at the command that shows it all."""
    fitted = fit_message(blocks, text, full_view=f"socbot actions show {request.id}")
    return Card(fitted.blocks, fitted.text)


def _header(request: ActionRequest) -> dict[str, Any]:
    title = f"{HEADLINES.get(request.status, request.status.title())}: {request.tool}"
    return {
        "type": "header",
        "block_id": "title",
        "text": {"type": "plain_text", "text": plain_text(title, 150), "emoji": False},
    }


def _what(request: ActionRequest) -> str:
    target = inline_code(request.target, 120) if request.target else "no target"
    return f"{inline_code(request.tool, 80)} on {target}"


def _quorum(view: CardView) -> int:
    return view.rule.quorum if view.rule is not None else view.request.quorum


def _approvers(view: CardView) -> list[str]:
    return sorted({a.approver for a in view.approvals if a.verdict == "approve"})


def _rejecters(view: CardView) -> list[str]:
    return sorted({a.approver for a in view.approvals if a.verdict == "reject"})


def _status(view: CardView) -> str:
    request, approvers = view.request, _approvers(view)
    fields = {
        "given": f"{len(approvers)} of {_quorum(view)} approvals ({parts.people(approvers)})",
        "by": parts.people(approvers),
        "rejected_by": parts.people(_rejecters(view)),
        "reason": mrkdwn(request.status_reason or "", 500),
        "expiry": _expiry(view),
        "status": mrkdwn(request.status, 20),
    }
    return STATUS_LINES.get(request.status, "*{status}*: {reason}").format(**fields)


def _expiry(view: CardView) -> str:
    deadline = view.request.expires_at
    if deadline is None:
        return ""
    return f" Expires {parts.when(deadline)} ({parts.minutes_left(deadline, view.now)})."


def _why(request: ActionRequest) -> str:
    lines = [
        f"*Why* — asked by {inline_code(request.requester, 80)} under rule "
        f"{inline_code(request.policy_rule, 80)}. "
        "Alert fields it rests on (untrusted, shown as data):"
    ]
    evidence = json.loads(request.evidence_json or "{}")
    lines += parts.evidence_lines(evidence) if evidence else ["• no alert fields were recorded"]
    return "\n".join(lines)


def _who_may_approve(view: CardView) -> str:
    rule = view.rule
    if rule is None:
        return "*Who may approve*: nobody — the policy no longer lets this tool run with approval."
    names = [parts.user(u) for u in sorted(rule.users)]
    names += [f"anyone in {parts.usergroup(g)}" for g in sorted(rule.usergroups)]
    people = ", ".join(names) or "nobody"
    plural = "approver" if rule.quorum == 1 else "different approvers"
    return (
        f"*Who may approve*: {people}. *{rule.quorum}* {plural} needed; "
        "neither the requester nor the target of the action counts."
    )


def _meta(request: ActionRequest) -> str:
    expires = parts.when(request.expires_at) if request.expires_at else "never"
    return (
        f"Request {inline_code(request.id, 40)}"
        f" · action hash {inline_code(short_code(request), 20)}"
        f" · policy {inline_code(request.policy_version[:12], 20)} · expires {expires}"
    )


def _how_to(view: CardView) -> str:
    approve, reject = (mrkdwn(name, 60) for name in view.emoji)
    return (
        f"React :{approve}: to approve or :{reject}: to reject (the first rejection cancels). "
        f"Remove your :{approve}: to withdraw before it runs. `/socbot show {view.request.id}`"
    )


def _fallback(request: ActionRequest) -> str:
    headline = HEADLINES.get(request.status, request.status)
    target = request.target or "no target"
    summary = f"{headline}: {request.tool} on {target} ({request.id}, {short_code(request)})"
    return mrkdwn(summary, 300)


def _result_code(result_json: str) -> str:
    text = inert_json(json.loads(result_json))
    if len(text) > RESULT_LIMIT:
        text = text[:RESULT_LIMIT] + "\n… (cut; `socbot actions show` has all of it)"
    return f"*Result*:\n```{entities(text)}```"
