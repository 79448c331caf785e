"""The answers of `/socbot`: help, pending actions, the policy in short, one action in full.

Each is mrkdwn for an ephemeral reply, built from the database and the policy in force with
every stored value escaped; none calls the Web API, so the command can answer in its ack.
"""

from __future__ import annotations

import json

from bot.actions import approvals as ab
from bot.actions.approvals import ActionRequest
from bot.clock import utcnow
from bot.policy import Policy, ToolRule, approvers_for
from bot.runtime import Runtime
from bot.slack.blocks import card_parts as parts
from bot.slack.blocks.approval_card import short_code, shown_action
from bot.slack.blocks.escape import entities, inert_json, inline_code, mrkdwn

LISTED = (*ab.OPEN_STATUSES, ab.EXECUTING)
PENDING_SHOWN = 20
RESULT_SHOWN = 1_200


def help_text(approve_emoji: str, reject_emoji: str) -> str:
    return "\n".join(
        [
            "*socbot* — what you can ask with `/socbot`:",
            "• `/socbot pending` — actions waiting for approval, and their state",
            "• `/socbot show <request id>` — one action: arguments, verdicts, result",
            "• `/socbot policy` — what socbot may do with each tool, and who approves",
            "• `/socbot contained <alert or group id> <note>` — record containment you did "
            "yourself (it counts in the weekly digest)",
            f"On an approval card, react :{approve_emoji}: to approve or :{reject_emoji}: to "
            f"reject; remove your :{approve_emoji}: to withdraw before the action runs.",
        ]
    )


def pending_text(runtime: Runtime) -> str:
    open_requests = [r for s in LISTED for r in runtime.approvals.list_requests(s, PENDING_SHOWN)]
    if not open_requests:
        return "No actions are waiting for approval."
    open_requests.sort(key=lambda r: r.created_at, reverse=True)
    lines = [f"*Actions waiting or running* ({len(open_requests)}):"]
    lines += [_pending_line(runtime, r) for r in open_requests[:PENDING_SHOWN]]
    return "\n".join(lines)


def _pending_line(runtime: Runtime, request: ActionRequest) -> str:
    counted, quorum = runtime.approvals.still_counting(request)
    where = f" · card in <#{request.slack_channel}>" if request.slack_channel else ""
    expires = ""
    if request.status == ab.PENDING and request.expires_at is not None:
        expires = f" · expires {parts.minutes_left(request.expires_at, utcnow())}"
    return (
        f"• {inline_code(request.id, 40)} {inline_code(request.tool, 60)} on "
        f"{inline_code(request.target or '-', 80)} — *{request.status}*, "
        f"{len(counted)} of {quorum} approvals{expires}{where}"
    )


def policy_text(policy: Policy) -> str:
    lines = [f"*Policy* {inline_code(policy.version[:12], 20)} — anything not listed is denied."]
    for name in sorted(policy.tools):
        lines.append(_tool_line(policy, policy.tools[name]))
    return "\n".join(lines)


def _tool_line(policy: Policy, rule: ToolRule) -> str:
    tool = inline_code(rule.name, 60)
    if rule.mode == "read_only":
        return f"• {tool}: runs on its own (read-only)"
    if rule.mode == "recommend":
        return f"• {tool}: drafts a recommendation only; never runs"
    approvers = approvers_for(policy, rule.name)
    who = [parts.user(u) for u in sorted(approvers.users)]
    who += [parts.usergroup(g) for g in sorted(approvers.usergroups)]
    return (
        f"• {tool}: runs after *{rule.quorum}* approval(s) from {', '.join(who) or 'nobody'} "
        f"within {rule.approval_expiry_minutes} min"
    )


def show_text(runtime: Runtime, request: ActionRequest) -> str:
    verdicts = runtime.approvals.approvals_of(request.id, counted_only=False)
    reason = f" ({mrkdwn(request.status_reason, 300)})" if request.status_reason else ""
    lines = [
        f"*{inline_code(request.id, 40)}* — *{request.status}*{reason}",
        f"Action (hash {inline_code(short_code(request), 20)}):",
        f"```{entities(inert_json(shown_action(request)))}```",
        f"Asked by {inline_code(request.requester, 80)} under {inline_code(request.policy_rule)}"
        f" · quorum {request.quorum}",
    ]
    if request.expires_at is not None:
        lines.append(f"Expires {parts.when(request.expires_at)}")
    for verdict in verdicts:
        state = "withdrawn" if verdict.withdrawn_at else verdict.verdict
        lines.append(f"• {parts.user(verdict.approver)}: {state} via {inline_code(verdict.via)}")
    if request.result_json:
        result = inert_json(json.loads(request.result_json))[:RESULT_SHOWN]
        lines.append(f"Result:\n```{entities(result)}```")
    return "\n".join(lines)
