"""Turn checked policy data into the frozen Policy, with every default resolved."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from bot.policy.compiled import compile_constraints, compile_protected, mode_verdict
from bot.policy.model import (
    ApproverSet,
    Defaults,
    Gate,
    Policy,
    RateLimit,
    TaskLimits,
    ToolRule,
)


def freeze(value: Any) -> Any:
    """A read-only deep copy: mappings become mapping proxies, lists become tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(item) for item in value)
    return value


def approver_groups(data: Mapping[str, Any]) -> dict[str, ApproverSet]:
    return {
        name: ApproverSet(frozenset(group.get("users", ())), frozenset(group.get("usergroups", ())))
        for name, group in (data.get("approver_groups") or {}).items()
    }


def resolve_approvers(
    declared: Mapping[str, Any], groups: Mapping[str, ApproverSet]
) -> ApproverSet:
    """Direct users and user groups plus those of every named group that exists."""
    resolved = ApproverSet(
        frozenset(declared.get("users", ())), frozenset(declared.get("usergroups", ()))
    )
    for name in declared.get("groups", ()):
        resolved = resolved.union(groups.get(name, ApproverSet()))
    return resolved


def build_policy(data: Mapping[str, Any], *, source: str, version: str) -> Policy:
    defaults = Defaults(**data["defaults"])
    groups = approver_groups(data)
    protected = tuple(data.get("protected_targets") or ())
    tools = {
        name: build_rule(name, rule, defaults, groups, protected, version)
        for name, rule in data["tools"].items()
    }
    return Policy(
        source=source,
        version=version,
        policy_format=data["policy_format"],
        defaults=defaults,
        task_limits=TaskLimits(**data["task_limits"]),
        approver_groups=MappingProxyType(groups),
        protected_targets=protected,
        tools=MappingProxyType(tools),
    )


def build_rule(
    name: str,
    rule: Mapping[str, Any],
    defaults: Defaults,
    groups: Mapping[str, ApproverSet],
    policy_globs: tuple[str, ...],
    version: str,
) -> ToolRule:
    quorum = rule.get("quorum", defaults.quorum)
    expiry = rule.get("approval_expiry_minutes", defaults.approval_expiry_minutes)
    tool_globs = tuple(rule.get("protected_targets", ()))
    constraints = rule.get("constraints")
    gate = Gate(
        constraints=compile_constraints(constraints),
        protected=compile_protected(name, rule["mode"], policy_globs, tool_globs),
        verdict=mode_verdict(name, rule["mode"], quorum, expiry, version),
    )
    limit = rule.get("rate_limit")
    return ToolRule(
        name=name,
        mode=rule["mode"],
        scopes=frozenset(rule["scopes"]),
        ttl_seconds=rule.get("ttl_seconds", defaults.credential_ttl_seconds),
        quorum=quorum,
        approval_expiry_minutes=expiry,
        approvers=resolve_approvers(rule.get("approvers", {}), groups),
        approver_groups=tuple(rule.get("approvers", {}).get("groups", ())),
        constraints=None if constraints is None else freeze(constraints),
        protected_targets=tool_globs,
        rate_limit=None if limit is None else RateLimit(limit["calls"], limit["per_seconds"]),
        gate=gate,
    )
