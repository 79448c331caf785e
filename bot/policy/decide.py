"""The gate's verdict for one tool call, and the questions other parts ask of a policy.

decide() sits on every tool call, so the common path only looks things up: a shared,
precomputed Decision comes back unless a constraint or a protected target says no.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.policy.model import (
    ApproverSet,
    ConstraintValidator,
    Decision,
    Policy,
    ProtectedMatcher,
    ToolCall,
    ToolRule,
)

REASON_LIMIT = 240


def decide(policy: Policy, call: ToolCall) -> Decision:
    """Undeclared → deny; broken constraint → deny; protected target → deny; else the mode."""
    rule = policy.tools.get(call.tool)
    if rule is None:
        return _deny(policy, "undeclared", _undeclared_reason(call.tool), None)
    gate = rule.for_provider(call.provider).gate
    if gate.constraints is not None:
        violation = first_violation(gate.constraints, call.args)
        if violation is not None:
            return _constraint_denial(policy, rule, violation)
    if gate.protected is not None and call.target_aliases:
        for alias in call.target_aliases:
            if gate.protected.any_glob.match(alias):
                return _protected_denial(policy, rule, gate.protected, call.target_aliases)
    return gate.verdict


def first_violation(constraints: ConstraintValidator, args: Mapping[str, Any]) -> str | None:
    """The first broken constraint in words, or None. One pass: is_valid would walk it twice."""
    try:
        error = next(iter(constraints.iter_errors(args)), None)
    except Exception as exc:  # a constraint that cannot be evaluated must not let a call through
        return f"they could not be evaluated ({type(exc).__name__})"
    if error is None:
        return None
    field = ".".join(str(step) for step in error.absolute_path) or "the arguments"
    return f"argument {field} breaks them: {error.message}"


def _deny(policy: Policy, rule: str, reason: str, mode: str | None) -> Decision:
    return Decision("deny", rule, reason, policy.version, mode)


def _undeclared_reason(tool: str) -> str:
    return f"{_short(tool)} is not declared in the policy, and anything not declared is denied."


def _constraint_denial(policy: Policy, rule: ToolRule, violation: str) -> Decision:
    reason = f"{rule.name} is refused by its policy constraints: {violation}."
    return _deny(policy, f"{rule.rule}.constraints", _short(reason), rule.mode)


def _protected_denial(
    policy: Policy, rule: ToolRule, matcher: ProtectedMatcher, aliases: frozenset[str]
) -> Decision:
    ordered = sorted(aliases)
    for protected in matcher.globs:
        alias = next((a for a in ordered if protected.pattern.match(a)), None)
        if alias is not None:
            reason = (
                f"{rule.name} may not touch '{_short(alias, 80)}': it matches the protected "
                f"target '{protected.glob}'."
            )
            return _deny(policy, protected.rule, reason, rule.mode)
    raise AssertionError("the combined protected-target pattern matched but no single glob did")


def _short(text: str, limit: int = REASON_LIMIT) -> str:
    """Arguments and names are untrusted and unbounded; a reason stays one readable sentence."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def approvers_for(policy: Policy, tool: str) -> ApproverSet:
    """Who may approve a call of tool; nobody for a tool the policy does not declare."""
    rule = policy.tools.get(tool)
    return ApproverSet() if rule is None else rule.approvers


def exposed_tools(policy: Policy, registered: Iterable[str]) -> list[str]:
    """Tools the model may see: registered and declared, in registration order."""
    return list(dict.fromkeys(name for name in registered if name in policy.tools))


def check_against_registry(policy: Policy, tool_names: Iterable[str]) -> list[str]:
    registered = set(tool_names)
    problems = [
        f"tools.{name} has a rule in {policy.source} but no tool of that name is registered"
        for name in policy.tools
        if name not in registered
    ]
    problems += [
        f"tool {name} is registered but has no rule in {policy.source}, so every call is denied"
        for name in sorted(registered)
        if name not in policy.tools
    ]
    return problems
