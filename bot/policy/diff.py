"""What changed between two policies, and which changes widen what socbot may do.

Widening: a tool declared that was not (undeclared means denied), a mode escalated (recommend
→ execute_with_approval → read_only, which runs without asking), a lower quorum, approvers
added, protected targets removed, a longer credential ttl or approval window, higher or
removed rate limits and task limits, constraints dropped, target_must_be_in_alert turned off.
Everything else that differs is listed as a plain change. Compared on the loaded policies,
so approvers named through groups count as the people they resolve to.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Literal

from bot.policy.model import Policy, RateLimit, ToolRule

Kind = Literal["widening", "narrowing", "change"]
# How much a mode lets socbot do unasked: recommend never runs, read_only runs at once.
MODE_POWER = {"recommend": 0, "execute_with_approval": 1, "read_only": 2}


@dataclass(frozen=True)
class Change:
    kind: Kind
    where: str  # the policy node: "tools.suspend_identity.mode"
    text: str

    def line(self) -> str:
        return f"{self.kind}: {self.where}: {self.text}"


def policy_changes(old: Policy, new: Policy) -> list[Change]:
    changes = list(_policy_wide(old, new))
    for name in sorted(set(old.tools) | set(new.tools)):
        changes += _tool_changes(name, old.tools.get(name), new.tools.get(name))
    return changes


def widening(changes: list[Change]) -> list[Change]:
    return [c for c in changes if c.kind == "widening"]


def _more(kind_if_more: Kind, old: float, new: float) -> Kind:
    if new == old:
        return "change"
    if new > old:
        return kind_if_more
    return "narrowing" if kind_if_more == "widening" else "widening"


def _policy_wide(old: Policy, new: Policy) -> Iterator[Change]:
    removed = sorted(set(old.protected_targets) - set(new.protected_targets))
    added = sorted(set(new.protected_targets) - set(old.protected_targets))
    if removed:
        yield Change("widening", "protected_targets", f"no longer protected: {', '.join(removed)}")
    if added:
        yield Change("narrowing", "protected_targets", f"now protected: {', '.join(added)}")
    for label, before_ids, after_ids in (
        ("users", old.askers.users, new.askers.users),
        ("usergroups", old.askers.usergroups, new.askers.usergroups),
    ):
        if after_ids - before_ids:
            added_ids = ", ".join(sorted(after_ids - before_ids))
            yield Change("widening", "askers", f"{label} added: {added_ids}")
    for item in fields(old.task_limits):
        before, after = getattr(old.task_limits, item.name), getattr(new.task_limits, item.name)
        if before != after:
            kind = _more("widening", before, after)
            yield Change(kind, f"task_limits.{item.name}", f"{before} → {after}")


def _tool_changes(name: str, old: ToolRule | None, new: ToolRule | None) -> list[Change]:
    where = f"tools.{name}"
    if old is None and new is not None:
        return [Change("widening", where, f"newly declared as {new.mode} (was denied)")]
    if new is None and old is not None:
        return [Change("narrowing", where, "no longer declared: now denied")]
    assert old is not None and new is not None
    return [c for c in _rule_changes(where, old, new) if c is not None]


def _rule_changes(where: str, old: ToolRule, new: ToolRule) -> list[Change | None]:
    return [
        _mode(where, old, new),
        _number(f"{where}.quorum", old.quorum, new.quorum, more_is="narrowing"),
        *_approvers(where, old, new),
        _globs(f"{where}.protected_targets", old.protected_targets, new.protected_targets),
        _number(f"{where}.ttl_seconds", old.ttl_seconds, new.ttl_seconds, more_is="widening"),
        _number(
            f"{where}.approval_expiry_minutes",
            old.approval_expiry_minutes,
            new.approval_expiry_minutes,
            more_is="widening",
        ),
        _rate(f"{where}.rate_limit", old.rate_limit, new.rate_limit),
        _scopes(f"{where}.scopes", old.scopes, new.scopes),
        _constraints(f"{where}.constraints", old, new),
        _flag(f"{where}.target_must_be_in_alert", old, new),
    ]


def _mode(where: str, old: ToolRule, new: ToolRule) -> Change | None:
    if old.mode == new.mode:
        return None
    kind = _more("widening", MODE_POWER[old.mode], MODE_POWER[new.mode])
    return Change(kind, f"{where}.mode", f"{old.mode} → {new.mode}")


def _number(where: str, old: int, new: int, *, more_is: Kind) -> Change | None:
    if old == new:
        return None
    return Change(_more(more_is, old, new), where, f"{old} → {new}")


def _approvers(where: str, old: ToolRule, new: ToolRule) -> Iterator[Change]:
    pairs = (
        ("users", old.approvers.users, new.approvers.users),
        ("usergroups", old.approvers.usergroups, new.approvers.usergroups),
    )
    for label, before, after in pairs:
        if after - before:
            added = ", ".join(sorted(after - before))
            yield Change("widening", f"{where}.approvers", f"{label} added: {added}")
        if before - after:
            removed = ", ".join(sorted(before - after))
            yield Change("narrowing", f"{where}.approvers", f"{label} removed: {removed}")


def _globs(where: str, old: tuple[str, ...], new: tuple[str, ...]) -> Change | None:
    removed, added = sorted(set(old) - set(new)), sorted(set(new) - set(old))
    if removed:
        return Change("widening", where, f"no longer protected: {', '.join(removed)}")
    if added:
        return Change("narrowing", where, f"now protected: {', '.join(added)}")
    return None


def _rate(where: str, old: RateLimit | None, new: RateLimit | None) -> Change | None:
    if old == new:
        return None
    if new is None:
        return Change("widening", where, "limit removed")
    if old is None:
        return Change("narrowing", where, f"limit added: {new.calls} per {new.per_seconds}s")
    text = f"{old.calls} per {old.per_seconds}s → {new.calls} per {new.per_seconds}s"
    before, after = old.calls / old.per_seconds, new.calls / new.per_seconds
    kind: Kind = "widening" if after > before or new.calls > old.calls else "narrowing"
    return Change(kind, where, text)


def _scopes(where: str, old: frozenset[str], new: frozenset[str]) -> Change | None:
    if old == new:
        return None
    added = sorted(new - old)
    kind: Kind = "widening" if added else "narrowing"
    return Change(kind, where, f"{', '.join(sorted(old))} → {', '.join(sorted(new))}")


def _constraints(where: str, old: ToolRule, new: ToolRule) -> Change | None:
    if old.constraints == new.constraints:
        return None
    if new.constraints is None:
        return Change("widening", where, "constraints removed")
    return Change("change", where, "constraints changed (review them)")


def _flag(where: str, old: ToolRule, new: ToolRule) -> Change | None:
    if old.target_must_be_in_alert == new.target_must_be_in_alert:
        return None
    if old.target_must_be_in_alert:
        return Change("widening", where, "turned off: targets outside the alert allowed")
    return Change("narrowing", where, "turned on")
