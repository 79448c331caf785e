"""Who may question socbot in Slack, and who may record containment.

Asking (a mention, a direct message, `/socbot pending`, `/socbot show`) reads identities'
sessions, sign-ins and parked actions, so it is for the policy's `askers` and for every
approver of any tool. Recording containment moves the digest's figures, so it is for
approvers only. A refusal is audited (slack.refused) with who asked and what.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.actions.approvals import NoUsergroups
from bot.audit.event import EventKind
from bot.policy.model import ApproverSet, Policy
from bot.runtime import Runtime

NOT_AN_ASKER = (
    ":no_entry: You are not among the people who may question socbot (policy.yaml `askers`, "
    "or an approver). Ask your SOC lead to add you."
)
NOT_AN_APPROVER = ":no_entry: Only approvers may record containment with `/socbot contained`."


def approvers_of_any_tool(policy: Policy) -> ApproverSet:
    found = ApproverSet()
    for rule in policy.tools.values():
        found = found.union(rule.approvers)
    return found


def _within(runtime: Runtime, user: str, allowed: ApproverSet) -> bool:
    if user in allowed.users:
        return True
    directory = runtime.usergroups or NoUsergroups()
    return any(user in directory.members(group) for group in sorted(allowed.usergroups))


def may_ask(runtime: Runtime, user: str) -> bool:
    policy = runtime.policies.current
    return _within(runtime, user, policy.askers.union(approvers_of_any_tool(policy)))


def may_record_containment(runtime: Runtime, user: str) -> bool:
    return _within(runtime, user, approvers_of_any_tool(runtime.policies.current))


def refuse(runtime: Runtime, user: str, what: str, where: Mapping[str, Any]) -> None:
    runtime.audit.record(
        EventKind.SLACK_EVENT_REFUSED,
        actor=user[:128],
        data={"why": f"not allowed to {what}", "event": what, **where},
    )
