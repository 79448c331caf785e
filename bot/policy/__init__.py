"""policy.yaml: load and check it, decide tool calls, explain rules, follow edits.

load_policy(path) / load_policy_text(text)   → Policy, or PolicyError(file, line, reason)
decide(policy, ToolCall)                     → Decision (run | recommend | require_approval
                                               | deny), naming the rule that decided
approvers_for, exposed_tools, check_against_registry, explain
PolicyStore(path, on_event=...)              → .current: the last good policy, hot-reloaded
"""

from bot.policy.decide import approvers_for, check_against_registry, decide, exposed_tools
from bot.policy.explain import explain
from bot.policy.loader import load_policy, load_policy_bytes, load_policy_text
from bot.policy.model import (
    ApproverSet,
    Decision,
    Defaults,
    Mode,
    Outcome,
    Policy,
    RateLimit,
    TaskLimits,
    ToolCall,
    ToolRule,
)
from bot.policy.store import PolicyStore
from bot.policy.validation import policy_schema

__all__ = [
    "ApproverSet",
    "Decision",
    "Defaults",
    "Mode",
    "Outcome",
    "Policy",
    "PolicyStore",
    "RateLimit",
    "TaskLimits",
    "ToolCall",
    "ToolRule",
    "approvers_for",
    "check_against_registry",
    "decide",
    "explain",
    "exposed_tools",
    "load_policy",
    "load_policy_bytes",
    "load_policy_text",
    "policy_schema",
]
