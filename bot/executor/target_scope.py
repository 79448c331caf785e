"""Whether an action's target is someone the alert (or the person asking) actually named.

A model led by injected text may aim an action at an identity the alert never mentioned.
The names that count are the alert's actor and target fields, and, in a Slack thread, the
question the person asked; free text such as a user agent does not count, since that is
where an injection would name its victim. Approval cards mark a target outside that scope,
and a tool's policy may require it (target_must_be_in_alert).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.policy import Decision, ToolRule

# Normalized alerts name them alert.actor / alert.target; a compacted raw event actor/targets.
IDENTITY_FIELDS = ("alert.actor", "alert.target", "actor", "target", "targets")
QUESTION_KEY = "slack_question"
MIN_ALIAS_CHARS = 3  # shorter names would match by accident inside words


def named_in_alert(evidence: Mapping[str, Any]) -> frozenset[str]:
    alert = evidence.get("alert")
    if not isinstance(alert, Mapping):
        return frozenset()
    names: set[str] = set()
    for field in IDENTITY_FIELDS:
        value = alert.get(field)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.strip():
                names.add(item.strip().lower())
    return frozenset(names)


def target_in_scope(aliases: frozenset[str], evidence: Mapping[str, Any]) -> bool | None:
    """True when the alert's identities or the asker's question name the target; None when
    the action has no target to judge."""
    if not aliases:
        return None
    if named_in_alert(evidence) & aliases:
        return True
    question = evidence.get(QUESTION_KEY)
    if isinstance(question, str):
        return any(_mentions(question.lower(), alias) for alias in aliases)
    return False


def _mentions(text: str, alias: str) -> bool:
    if len(alias) < MIN_ALIAS_CHARS:
        return False
    return re.search(rf"(?<![\w.@-]){re.escape(alias)}(?![\w.@-])", text) is not None


def apply_scope(
    decision: Decision, rule: ToolRule, aliases: frozenset[str], evidence: Mapping[str, Any]
) -> Decision:
    """The decision, or a denial when the tool's policy requires a target the alert or the
    person asking named, and this one is not."""
    if decision.outcome == "deny" or not rule.target_must_be_in_alert:
        return decision
    if target_in_scope(aliases, evidence) is not False:
        return decision
    reason = (
        f"{rule.name} may only act on an identity the alert or the person asking named, "
        "and this target is not one of them"
    )
    return Decision(
        "deny",
        f"{rule.rule}.target_must_be_in_alert",
        reason,
        decision.policy_version,
        decision.mode,
    )
