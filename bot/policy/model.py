"""The loaded policy as immutable values, and the call/decision pair the gate works on.

Everything here is frozen: one Policy object is shared by every thread until a reload swaps
it for another, so nothing may change underneath a decision in flight.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal, Protocol

Mode = Literal["read_only", "recommend", "execute_with_approval"]
Outcome = Literal["run", "recommend", "require_approval", "deny"]

OUTCOME_OF_MODE: Mapping[str, Outcome] = {
    "read_only": "run",
    "recommend": "recommend",
    "execute_with_approval": "require_approval",
}


@dataclass(frozen=True)
class ToolCall:
    """One call the model wants to make; args were already validated by the tool's model."""

    tool: str
    args: Mapping[str, Any]
    target_aliases: frozenset[str]  # lower-cased names of the target and of its owner
    actor: str
    provider: str | None = None  # the provider that owns the target, when several are on


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    rule: str  # the policy node that decided, e.g. "tools.suspend_identity.constraints"
    reason: str
    policy_version: str
    mode: str | None

    @property
    def denied(self) -> bool:
        return self.outcome == "deny"


@dataclass(frozen=True)
class Defaults:
    credential_ttl_seconds: int
    approval_expiry_minutes: int
    quorum: int
    containment_sla_hours: int


@dataclass(frozen=True)
class TaskLimits:
    model_turns: int
    tool_calls: int
    tokens: int
    seconds: int
    parked_actions: int = 10


@dataclass(frozen=True)
class ApproverSet:
    """Who may approve: Slack user ids, plus anyone in the listed Slack user groups."""

    users: frozenset[str] = frozenset()
    usergroups: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not self.users and not self.usergroups

    def union(self, other: ApproverSet) -> ApproverSet:
        return ApproverSet(self.users | other.users, self.usergroups | other.usergroups)


@dataclass(frozen=True)
class RateLimit:
    """Counted by the executor against the audit log; the policy only states the numbers."""

    calls: int
    per_seconds: int


class ConstraintValidator(Protocol):
    def is_valid(self, instance: Any) -> bool: ...
    def iter_errors(self, instance: Any) -> Any: ...


@dataclass(frozen=True)
class ProtectedGlob:
    rule: str  # "protected_targets[0]" or "tools.<name>.protected_targets[1]"
    glob: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class ProtectedMatcher:
    """All globs that bind one tool, plus one combined regex so a miss costs one match."""

    any_glob: re.Pattern[str]
    globs: tuple[ProtectedGlob, ...]


@dataclass(frozen=True)
class Gate:
    """What decide() needs for one tool, compiled once at load."""

    constraints: ConstraintValidator | None
    protected: ProtectedMatcher | None
    verdict: Decision  # the decision when nothing denies: shared, so the common path allocates none


@dataclass(frozen=True)
class ToolRule:
    name: str
    mode: Mode
    scopes: frozenset[str]
    ttl_seconds: int
    quorum: int
    approval_expiry_minutes: int
    approvers: ApproverSet  # resolved: direct users and user groups plus the named groups'
    approver_groups: tuple[str, ...]
    constraints: Mapping[str, Any] | None  # the JSON Schema as written, deep-frozen
    protected_targets: tuple[str, ...]  # this tool's own globs; the policy-wide ones apply too
    rate_limit: RateLimit | None
    gate: Gate = field(repr=False, compare=False)
    target_must_be_in_alert: bool = False
    credential_strategy: str | None = None  # set per provider: how its credentials are minted
    # The same rule with tools.<name>.providers.<provider> laid over it, per provider.
    providers: Mapping[str, ToolRule] = field(default_factory=dict, repr=False, compare=False)

    def for_provider(self, provider: str | None) -> ToolRule:
        """The rule that applies to a call on `provider`'s target."""
        return self.providers.get(provider, self) if provider else self

    @property
    def approval_expiry(self) -> timedelta:
        return timedelta(minutes=self.approval_expiry_minutes)

    @property
    def rule(self) -> str:
        return f"tools.{self.name}"


@dataclass(frozen=True)
class Policy:
    source: str
    version: str  # sha256 hex of the file's bytes
    policy_format: int
    defaults: Defaults
    task_limits: TaskLimits
    approver_groups: Mapping[str, ApproverSet]
    protected_targets: tuple[str, ...]
    tools: Mapping[str, ToolRule]
    content: str = field(default="", repr=False, compare=False)  # the file's text, as loaded
    askers: ApproverSet = field(default_factory=ApproverSet)  # besides every tool's approvers

    def rule_for(self, tool: str) -> ToolRule | None:
        return self.tools.get(tool)
