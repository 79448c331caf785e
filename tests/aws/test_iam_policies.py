"""Every generated IAM document against each tool's declared needs: actions and target ARN."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.providers.aws.config import AwsConfig
from tools.providers.aws.iam_actions import (
    OPERATION_ACTIONS,
    OPERATION_SCOPES,
    PROBE_ACTION,
    SCOPE_ACTIONS,
    Scoping,
    action_policy,
    actions_for,
    session_policy,
)
from tools.providers.aws.scoping import current_scoping
from tools.providers.call_scope import CallScope, scoped_call

POLICY = yaml.safe_load((Path(__file__).resolve().parents[2] / "policy.yaml").read_text())
TARGET = "arn:aws:iam::123456789012:user/alice"
SCOPING = Scoping("123456789012", (TARGET,))


def _allowed(document: dict[str, Any]) -> dict[str, set[str]]:
    """action → resources it is allowed on."""
    found: dict[str, set[str]] = {}
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        resources = statement["Resource"]
        for action in statement["Action"]:
            found.setdefault(action, set()).update(
                [resources] if isinstance(resources, str) else resources
            )
    return found


@pytest.mark.parametrize("operation", sorted(OPERATION_SCOPES))
def test_operation_scopes_cover_every_call_it_makes(operation: str) -> None:
    assert set(OPERATION_ACTIONS[operation]) <= set(actions_for(OPERATION_SCOPES[operation]))


@pytest.mark.parametrize("tool", sorted(t for t in POLICY["tools"] if t in OPERATION_SCOPES))
def test_policy_yaml_scopes_give_each_aws_tool_what_it_needs_and_no_more(tool: str) -> None:
    scopes = set(POLICY["tools"][tool]["scopes"])
    allowed = _allowed(session_policy(scopes, SCOPING))
    assert set(OPERATION_ACTIONS[tool]) <= set(allowed)
    # Nothing beyond the scopes' own actions and the probe.
    assert set(allowed) == set(actions_for(scopes))
    writes = {a for a in allowed if not a.split(":")[1].startswith(("Get", "List"))}
    for action in writes:
        if action == "iam:RemoveUserFromGroup":
            assert allowed[action] == {"arn:aws:iam::123456789012:group/*"}
        else:
            assert allowed[action] == {TARGET}, action


def test_read_only_tools_get_no_write_action() -> None:
    for tool, rule in POLICY["tools"].items():
        if rule["mode"] != "read_only" or tool not in OPERATION_SCOPES:
            continue
        actions = actions_for(rule["scopes"])
        assert all(a.split(":")[1].startswith(("Get", "List")) for a in actions), tool


def test_the_probe_is_in_every_document() -> None:
    for scope in SCOPE_ACTIONS:
        assert PROBE_ACTION in _allowed(session_policy({scope}, SCOPING))
        assert PROBE_ACTION in action_policy({scope})["Statement"][0]["Action"]


def test_action_policies_name_no_resource() -> None:
    # The local API refuses any policy naming a resource ARN, and the role's own policy is
    # narrowed per session anyway.
    for scope in SCOPE_ACTIONS:
        assert action_policy({scope})["Statement"][0]["Resource"] == "*"


def test_unknown_scopes_grant_nothing_but_the_probe() -> None:
    assert actions_for({"grants:revoke"}) == [PROBE_ACTION]


def test_call_scope_targets_become_the_session_resources() -> None:
    config = AwsConfig(accounts=frozenset({"123456789012"}))
    with scoped_call(CallScope("aws", "suspend_identity", (TARGET,))):
        scoping = current_scoping(config)
    assert scoping.targets == (TARGET,) and scoping.account == "123456789012"
    unscoped = current_scoping(config)
    assert unscoped.targets == (
        "arn:aws:iam::123456789012:user/*",
        "arn:aws:iam::123456789012:role/*",
    )
