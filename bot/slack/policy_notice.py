"""A policy change that widens what socbot may do is posted where approvers look.

Registered as a PolicyVersions watcher by the served app; the post goes to the approvals
channel (the alerts channel when none is set) on a Slack worker, so a hot reload never
waits on Slack.
"""

from __future__ import annotations

import functools

from bot.policy.diff import Change
from bot.policy.model import Policy
from bot.slack.blocks.escape import inline_code, mrkdwn
from bot.slack.context import SlackContext

MAX_LINES = 20


def watch_policy(ctx: SlackContext) -> None:
    channel = ctx.settings.slack_approvals_channel or ctx.settings.slack_alerts_channel
    if not channel:
        return

    def notice(policy: Policy, previous: Policy, changes: list[Change]) -> None:
        text = widening_text(policy, previous, changes)
        post = functools.partial(ctx.client.chat_postMessage, channel=channel, text=text)
        ctx.workers.submit("posting a policy change", post)

    ctx.runtime.policy_versions.watchers.append(notice)


def widening_text(policy: Policy, previous: Policy, changes: list[Change]) -> str:
    lines = [
        f":warning: *Policy change widens what socbot may do*: "
        f"{inline_code(previous.version[:12], 20)} → {inline_code(policy.version[:12], 20)} "
        f"({mrkdwn(policy.source, 200)})"
    ]
    lines += [f"• {inline_code(c.where, 100)}: {mrkdwn(c.text, 300)}" for c in changes[:MAX_LINES]]
    if len(changes) > MAX_LINES:
        lines.append(f"• … and {len(changes) - MAX_LINES} more (`socbot audit export`)")
    return "\n".join(lines)
