"""A tool's rule in plain words, for the admin who owns policy.yaml."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from bot.policy.model import Policy, RateLimit, ToolRule

ANNOTATIONS = frozenset({"title", "description", "$comment", "examples", "default", "$defs"})


def explain(policy: Policy, tool: str) -> str:
    rule = policy.tools.get(tool)
    header = f"{tool} (policy {policy.source}, version {policy.version[:12]})"
    if rule is None:
        return (
            f"{header}\n- Not declared in the policy: the bot may not use {tool}, because "
            "anything not declared is denied."
        )
    lines = [header, f"- What the bot may do: {_what_it_may_do(rule)}"]
    if rule.mode == "execute_with_approval":
        lines.append(f"- Approvers: {_approvers(rule)}.")
    lines.append(f"- Credential: {_credential(rule)}.")
    lines.append(f"- Argument constraints: {_constraints(rule)}.")
    lines.append(f"- Protected targets: {_protected(policy, rule)}.")
    lines.append(f"- Rate limit: {_rate(rule.rate_limit)}.")
    lines.extend(_per_provider(policy, rule))
    return "\n".join(lines)


def _per_provider(policy: Policy, rule: ToolRule) -> list[str]:
    """What changes when the target belongs to a provider with a rule of its own."""
    lines = []
    for provider, overlay in sorted(rule.providers.items()):
        lines.append(f"- On {provider} targets, instead:")
        if overlay.mode == "execute_with_approval":
            lines.append(f"  - Approvers: {_approvers(overlay)}; quorum {overlay.quorum}.")
        lines.append(f"  - Credential: {_credential(overlay)}.")
        lines.append(f"  - Protected targets: {_protected(policy, overlay)}.")
    if rule.providers:
        others = "other providers' targets follow the rule above"
        lines.append(f"- {others[0].upper()}{others[1:]}.")
    return lines


def _what_it_may_do(rule: ToolRule) -> str:
    if rule.mode == "read_only":
        return "it runs on its own, without asking anyone."
    if rule.mode == "recommend":
        return "it may only draft a recommendation for a person to carry out; it never runs."
    people = "1 approver says" if rule.quorum == 1 else f"{rule.quorum} different approvers say"
    return (
        f"it may ask, and runs only after {people} yes within "
        f"{rule.approval_expiry_minutes} minutes; after that the request expires."
    )


def _approvers(rule: ToolRule) -> str:
    parts = []
    if rule.approver_groups:
        parts.append("approver groups " + ", ".join(rule.approver_groups))
    if rule.approvers.users:
        parts.append("users " + ", ".join(sorted(rule.approvers.users)))
    if rule.approvers.usergroups:
        parts.append("members of Slack user groups " + ", ".join(sorted(rule.approvers.usergroups)))
    return "; ".join(parts) or "nobody"


def _credential(rule: ToolRule) -> str:
    scopes = ", ".join(sorted(rule.scopes)) or "no scopes"
    credential = f"scopes {scopes}, valid for {rule.ttl_seconds} seconds per call"
    if rule.mode == "recommend":
        return f"none, since it never runs (the rule would grant {credential})"
    return credential


def _protected(policy: Policy, rule: ToolRule) -> str:
    if rule.mode == "read_only":
        return "they do not bind a read-only tool: it may look them up"
    globs = [*policy.protected_targets, *rule.protected_targets]
    if not globs:
        return "none"
    return "never acts on a target or owner named like " + ", ".join(globs)


def _rate(limit: RateLimit | None) -> str:
    if limit is None:
        return "none"
    period = {60: "minute", 3600: "hour", 86400: "day"}.get(limit.per_seconds)
    return f"at most {limit.calls} calls per {period or f'{limit.per_seconds} seconds'}"


def _constraints(rule: ToolRule) -> str:
    if rule.constraints is None:
        return "none beyond the tool's own argument types"
    return "; ".join(describe_schema(rule.constraints, "")) or "none"


def describe_schema(schema: Mapping[str, Any], field: str) -> list[str]:
    """One clause per argument, e.g. 'reason must be at least 10 characters long'."""
    clauses: list[str] = []
    for name, sub in schema.get("properties", {}).items():
        clauses += describe_schema(sub, f"{field}.{name}" if field else name)
    if "required" in schema:
        clauses.append(f"{_field(field)} must include " + ", ".join(schema["required"]))
    if schema.get("additionalProperties") is False:
        clauses.append(f"{_field(field)} may hold nothing beyond the listed ones")
    words = [_keyword(key, value) for key, value in schema.items() if key not in _STRUCTURE]
    if words:
        clauses.insert(0, f"{field or 'the arguments'} must be " + " and ".join(words))
    return clauses


def _field(field: str) -> str:
    return field or "the arguments"


_STRUCTURE = ANNOTATIONS | {"properties", "required", "additionalProperties"}

_PHRASES: dict[str, Callable[[Any], str]] = {
    "minimum": lambda v: f"at least {v}",
    "maximum": lambda v: f"at most {v}",
    "exclusiveMinimum": lambda v: f"more than {v}",
    "exclusiveMaximum": lambda v: f"less than {v}",
    "multipleOf": lambda v: f"a multiple of {v}",
    "minLength": lambda v: f"at least {v} characters long",
    "maxLength": lambda v: f"at most {v} characters long",
    "pattern": lambda v: f"text matching the pattern {v}",
    "format": lambda v: f"a valid {v}",
    "enum": lambda v: "one of: " + ", ".join(str(option) for option in v),
    "const": lambda v: f"exactly {v}",
    "minItems": lambda v: f"a list of at least {v} items",
    "maxItems": lambda v: f"a list of at most {v} items",
    "uniqueItems": lambda v: "a list without repeats" if v else "a list",
    "type": lambda v: f"of type {v if isinstance(v, str) else ' or '.join(v)}",
    "items": lambda v: "a list whose every item is " + _inline(v),
    "not": lambda v: "not " + _inline(v),
}


def _keyword(key: str, value: Any) -> str:
    phrase = _PHRASES.get(key)
    if phrase is not None:
        return phrase(value)
    return f"valid under {key}: {json.dumps(_plain(value), sort_keys=True)}"


def _inline(schema: Any) -> str:
    if not isinstance(schema, Mapping):
        return json.dumps(_plain(schema))
    words = [_keyword(k, v) for k, v in schema.items() if k not in ANNOTATIONS]
    return " and ".join(words) or "anything"


def _plain(value: Any) -> Any:
    """The frozen schema back to JSON-able data, to quote keywords explain has no words for."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value
