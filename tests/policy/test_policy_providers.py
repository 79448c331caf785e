"""Per-provider policy rules: tools.<tool>.providers.<provider> laid over the tool's rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import PolicyError
from bot.policy import ToolCall, decide, explain, load_policy_text

POLICY = (Path(__file__).resolve().parents[2] / "policy.yaml").read_text(encoding="utf-8")
AWS_RULE = """
    providers:
      aws:
        approvers: {users: [U0AWSADMIN1, U0AWSADMIN2]}
        quorum: 2
        ttl_seconds: 60
        scopes: [keys:deactivate, keys:read]
        protected_targets: ["arn:aws:iam::*:user/ci-*"]
"""


def with_aws_rule(rule: str = AWS_RULE) -> str:
    anchor = "  deactivate_access_key:\n    mode: execute_with_approval\n"
    assert anchor in POLICY
    return POLICY.replace(anchor, anchor + rule.lstrip("\n"))


@pytest.fixture
def lab_and_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCBOT_PROVIDERS", "lab,aws")


def test_a_provider_rule_overlays_the_tools_rule(lab_and_aws: None) -> None:
    rule = load_policy_text(with_aws_rule()).tools["deactivate_access_key"]
    aws = rule.for_provider("aws")
    assert aws.approvers.users == {"U0AWSADMIN1", "U0AWSADMIN2"} and aws.quorum == 2
    assert aws.ttl_seconds == 60 and aws.scopes == {"keys:deactivate", "keys:read"}
    assert aws.mode == rule.mode
    assert rule.for_provider("lab") is rule and rule.for_provider(None) is rule
    assert "U0AWSADMIN1" not in rule.approvers.users


def test_a_rule_for_a_provider_not_configured_is_refused_with_its_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOCBOT_PROVIDERS", "lab")
    text = with_aws_rule()
    line = text.splitlines().index("      aws:") + 1
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text, source="policy.yaml")
    assert refused.value.line == line
    assert "provider 'aws', which is not configured" in str(refused.value)


def test_a_provider_rule_cannot_change_the_mode(lab_and_aws: None) -> None:
    with pytest.raises(PolicyError, match="mode"):
        load_policy_text(with_aws_rule("    providers:\n      aws:\n        mode: read_only\n"))


def test_a_provider_rule_needs_enough_approvers(lab_and_aws: None) -> None:
    rule = (
        "    providers:\n      aws:\n        approvers: {users: [U0AWSADMIN1]}\n        quorum: 2\n"
    )
    with pytest.raises(PolicyError, match="needs 2 approvals"):
        load_policy_text(with_aws_rule(rule))


def test_decide_uses_the_providers_protected_targets(lab_and_aws: None) -> None:
    policy = load_policy_text(with_aws_rule())
    args = {"key_id": "AKIAIOSFODNN7EXAMPLE", "reason": "leaked in a public repository"}
    alias = "arn:aws:iam::123456789012:user/ci-deployer"
    on_aws = decide(
        policy, ToolCall("deactivate_access_key", args, frozenset({alias}), "U1", "aws")
    )
    assert on_aws.outcome == "deny" and "protected" in on_aws.reason
    on_lab = decide(
        policy, ToolCall("deactivate_access_key", args, frozenset({alias}), "U1", "lab")
    )
    assert on_lab.outcome == "require_approval"


def test_explain_says_what_differs_per_provider(lab_and_aws: None) -> None:
    text = explain(load_policy_text(with_aws_rule()), "deactivate_access_key")
    assert "- On aws targets, instead:" in text
    assert "users U0AWSADMIN1, U0AWSADMIN2; quorum 2" in text
    assert "valid for 60 seconds per call" in text
    assert "arn:aws:iam::*:user/ci-*" in text


def test_an_unknown_credential_strategy_is_refused_with_its_line(lab_and_aws: None) -> None:
    text = with_aws_rule("    providers:\n      aws:\n        credential_strategy: magic\n")
    line = text.splitlines().index("        credential_strategy: magic") + 1
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text, source="policy.yaml")
    assert refused.value.line == line
    assert "aws strategies: sts, iam_user" in str(refused.value)
    ok = with_aws_rule("    providers:\n      aws:\n        credential_strategy: iam_user\n")
    rule = load_policy_text(ok).tools["deactivate_access_key"]
    assert rule.for_provider("aws").credential_strategy == "iam_user"
    assert rule.credential_strategy is None
