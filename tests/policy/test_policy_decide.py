"""decide(): every outcome, the order of the checks, protected targets through aliases."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from bot.policy import (
    ApproverSet,
    Policy,
    ToolCall,
    approvers_for,
    check_against_registry,
    decide,
    exposed_tools,
    load_policy,
)
from bot.policy.compiled import compile_constraints
from bot.policy.decide import first_violation

REPO = Path(__file__).resolve().parents[2]
GOOD = Path(__file__).resolve().parents[1] / "fixtures" / "policies" / "good_minimal.yaml"
GOOD_ARGS = {"identity": "alice@lab.example", "reason": "impossible travel from two countries"}


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(GOOD)


def call(tool: str, args: dict[str, Any] | None = None, *aliases: str) -> ToolCall:
    return ToolCall(tool, GOOD_ARGS if args is None else args, frozenset(aliases), "U0ANALYST")


@pytest.mark.parametrize(
    ("tool", "outcome", "mode"),
    [
        ("get_identity", "run", "read_only"),
        ("reset_mfa", "recommend", "recommend"),
        ("suspend_identity", "require_approval", "execute_with_approval"),
    ],
)
def test_the_mode_decides_when_nothing_denies(
    policy: Policy, tool: str, outcome: str, mode: str
) -> None:
    decision = decide(policy, call(tool, None, "alice", "alice@lab.example"))

    assert (decision.outcome, decision.mode, decision.rule) == (outcome, mode, f"tools.{tool}")
    assert decision.policy_version == policy.version
    assert tool in decision.reason


def test_approval_reason_states_quorum_and_expiry(policy: Policy) -> None:
    reason = decide(policy, call("suspend_identity")).reason

    assert "2 approvals" in reason and "15 minutes" in reason


def test_an_undeclared_tool_is_denied(policy: Policy) -> None:
    decision = decide(policy, call("delete_everything"))

    assert (decision.outcome, decision.rule, decision.mode) == ("deny", "undeclared", None)
    assert "delete_everything is not declared" in decision.reason


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"reason": "short"}, "reason"),
        ({"reason": "long enough reason", "severity": "urgent"}, "severity"),
        ({"reason": "long enough reason", "ticket": "JIRA-1"}, "ticket"),
        ({"reason": "long enough reason", "hours": 500}, "hours"),
        ({"reason": "long enough reason", "hours": 0}, "hours"),
        ({"reason": "x" * 501}, "reason"),
    ],
)
def test_a_broken_constraint_denies_naming_the_argument(
    policy: Policy, args: dict[str, Any], field: str
) -> None:
    decision = decide(policy, call("suspend_identity", args))

    assert (decision.outcome, decision.rule) == ("deny", "tools.suspend_identity.constraints")
    assert f"argument {field} breaks them" in decision.reason
    assert len(decision.reason) <= 240


def test_constraints_hold_for_any_mapping_not_only_dicts(policy: Policy) -> None:
    frozen_args = MappingProxyType({"reason": "short"})
    frozen_call = ToolCall("suspend_identity", frozen_args, frozenset(), "U0ANALYST")

    assert decide(policy, frozen_call).outcome == "deny"


def test_constraints_are_checked_before_protected_targets(policy: Policy) -> None:
    decision = decide(policy, call("suspend_identity", {"reason": "short"}, "break-glass-root"))

    assert decision.rule == "tools.suspend_identity.constraints"


def test_constraints_bind_read_only_tools_too() -> None:
    policy = load_policy(REPO / "policy.yaml")

    assert decide(policy, call("recent_auth_events", {"hours": 24})).outcome == "run"
    decision = decide(policy, call("recent_auth_events", {"hours": 720}))
    assert (decision.outcome, decision.rule) == ("deny", "tools.recent_auth_events.constraints")


@pytest.mark.parametrize(
    ("tool", "alias", "rule"),
    [
        ("suspend_identity", "break-glass-root", "protected_targets[0]"),
        ("reset_mfa", "break-glass-ops@lab.example", "protected_targets[0]"),
        ("reset_mfa", "vip-ceo@lab.example", "tools.reset_mfa.protected_targets[0]"),
    ],
)
def test_a_protected_alias_denies_acting_tools(
    policy: Policy, tool: str, alias: str, rule: str
) -> None:
    decision = decide(policy, call(tool, None, "sam", alias))

    assert (decision.outcome, decision.rule) == ("deny", rule)
    assert alias in decision.reason


def test_the_owner_of_a_key_protects_the_key() -> None:
    policy = load_policy(REPO / "policy.yaml")
    aliases = ("akia0000example", "arn:aws:iam::123456789012:user/break-glass-ops")

    decision = decide(
        policy, call("deactivate_access_key", {"key_id": "AKIA0000EXAMPLE"}, *aliases)
    )

    assert (decision.outcome, decision.rule) == ("deny", "protected_targets[2]")


def test_matching_ignores_case_even_if_an_alias_was_not_lowered(policy: Policy) -> None:
    assert decide(policy, call("reset_mfa", None, "Break-Glass-Root")).outcome == "deny"


def test_read_only_tools_may_look_at_protected_targets(policy: Policy) -> None:
    assert decide(policy, call("get_identity", None, "break-glass-root")).outcome == "run"


def test_a_tool_glob_binds_only_its_own_tool(policy: Policy) -> None:
    assert decide(policy, call("suspend_identity", None, "vip-ceo")).outcome == "require_approval"


def test_without_aliases_nothing_is_protected(policy: Policy) -> None:
    assert decide(policy, call("reset_mfa")).outcome == "recommend"


def test_a_constraint_that_cannot_be_evaluated_counts_as_broken() -> None:
    validator = compile_constraints({"properties": {"hours": {"$ref": "#/$defs/missing"}}})
    assert validator is not None

    assert "could not be evaluated" in str(first_violation(validator, {"hours": 3}))
    assert first_violation(validator, {"identity": "alice"}) is None


def test_approvers_for_resolves_groups(policy: Policy) -> None:
    assert approvers_for(policy, "suspend_identity") == ApproverSet(
        frozenset({"U0ONCALL1", "U0IDADMIN1", "U0IDADMIN2"}), frozenset({"S0IAMOPS"})
    )
    assert approvers_for(policy, "not_a_tool").empty


def test_exposed_tools_are_registered_and_declared_in_registration_order(policy: Policy) -> None:
    registered = ["suspend_identity", "shell_exec", "get_identity", "suspend_identity"]

    assert exposed_tools(policy, registered) == ["suspend_identity", "get_identity"]


def test_check_against_registry_names_both_kinds_of_gap(policy: Policy) -> None:
    problems = check_against_registry(policy, ["get_identity", "suspend_identity", "shell_exec"])

    assert len(problems) == 2
    assert problems[0].startswith("tools.reset_mfa has a rule")
    assert problems[1].startswith("tool shell_exec is registered but has no rule")
    assert check_against_registry(policy, ["get_identity", "reset_mfa", "suspend_identity"]) == []
