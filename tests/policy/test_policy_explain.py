"""explain(): a rule in words an admin can check against what they meant."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.policy import Policy, explain, load_policy, load_policy_text
from bot.policy.explain import describe_schema

GOOD = Path(__file__).resolve().parents[1] / "fixtures" / "policies" / "good_minimal.yaml"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(GOOD)


def test_an_approval_tool_names_approvers_quorum_expiry_and_credential(policy: Policy) -> None:
    text = explain(policy, "suspend_identity")

    assert "runs only after 2 different approvers say yes within 15 minutes" in text
    assert "approver groups identity-admins" in text
    assert "users U0IDADMIN1, U0IDADMIN2, U0ONCALL1" in text
    assert "Slack user groups S0IAMOPS" in text
    assert "scopes identity:suspend, valid for 120 seconds per call" in text
    assert "at most 10 calls per hour" in text
    assert policy.version[:12] in text


def test_constraints_are_put_in_words(policy: Policy) -> None:
    text = explain(policy, "suspend_identity")

    assert "reason must be at least 10 characters long and at most 500 characters long" in text
    assert "severity must be one of: low, high" in text
    assert "ticket must be text matching the pattern ^INC-[0-9]+$" in text
    assert "hours must be at least 1 and at most 168" in text


def test_protected_targets_bind_acting_tools_only(policy: Policy) -> None:
    assert "break-glass-*, vip-*" in explain(policy, "reset_mfa")
    assert "may only draft a recommendation" in explain(policy, "reset_mfa")
    assert "Credential: none, since it never runs" in explain(policy, "reset_mfa")
    get_identity = explain(policy, "get_identity")
    assert "runs on its own" in get_identity
    assert "do not bind a read-only tool" in get_identity
    assert "Approvers" not in get_identity


def test_an_undeclared_tool_is_explained_as_denied(policy: Policy) -> None:
    assert "anything not declared is denied" in explain(policy, "wipe_laptop")


def test_a_single_approver_quorum_reads_naturally() -> None:
    text = (GOOD.read_text()).replace("quorum: 2", "quorum: 1")

    assert "after 1 approver says yes within 15 minutes" in explain(
        load_policy_text(text), "suspend_identity"
    )


def test_nested_and_unusual_keywords_are_never_left_out() -> None:
    schema = {
        "required": ["identity"],
        "additionalProperties": False,
        "properties": {
            "groups": {"items": {"enum": ["a", "b"]}, "maxItems": 3},
            "window": {"properties": {"hours": {"exclusiveMaximum": 24}}},
            "mode": {"anyOf": [{"const": "x"}, {"const": "y"}]},
        },
    }
    clauses = describe_schema(schema, "")

    assert (
        "groups must be a list whose every item is one of: a, b and a list of at most 3 items"
        in (clauses)
    )
    assert "window.hours must be less than 24" in clauses
    assert 'mode must be valid under anyOf: [{"const": "x"}, {"const": "y"}]' in clauses
    assert "the arguments must include identity" in clauses
    assert "the arguments may hold nothing beyond the listed ones" in clauses
