"""Loading policy.yaml: the real file resolves fully; every broken file names its line and fix."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import timedelta
from pathlib import Path

import pytest

from bot.errors import PolicyError
from bot.policy import ApproverSet, RateLimit, load_policy, load_policy_text

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "policies"

MINIMAL = """\
policy_format: 1
defaults: {credential_ttl_seconds: 300, approval_expiry_minutes: 30, quorum: 1,
           containment_sla_hours: 4}
task_limits: {model_turns: 12, tool_calls: 30, tokens: 40000, seconds: 180}
tools:
  get_identity: {mode: read_only, scopes: [directory:read]}
"""


def marked_line(path: Path) -> int:
    """Each broken fixture marks the line the refusal must name with '# ERROR'."""
    lines = [n for n, text in enumerate(path.read_text().splitlines(), 1) if "# ERROR" in text]
    assert len(lines) == 1, f"{path.name} must mark exactly one line"
    return lines[0]


def test_real_policy_loads_with_every_field_resolved() -> None:
    policy = load_policy(REPO / "policy.yaml")

    assert policy.version == hashlib.sha256((REPO / "policy.yaml").read_bytes()).hexdigest()
    assert policy.policy_format == 1
    assert policy.defaults.credential_ttl_seconds == 300
    assert policy.defaults.containment_sla_hours == 4
    assert policy.task_limits.tokens == 40000
    assert len(policy.protected_targets) == 3
    assert set(policy.tools) >= {"get_identity", "suspend_identity", "revoke_oauth_grant"}


def test_real_policy_rules_take_their_own_values_or_the_defaults() -> None:
    policy = load_policy(REPO / "policy.yaml")
    suspend, reset = policy.tools["suspend_identity"], policy.tools["reset_mfa"]

    assert suspend.mode == "execute_with_approval"
    assert suspend.scopes == frozenset({"identity:suspend"})
    assert (suspend.ttl_seconds, suspend.quorum) == (120, 2)
    assert suspend.approval_expiry == timedelta(minutes=30)
    assert suspend.rate_limit == RateLimit(calls=10, per_seconds=3600)
    assert suspend.constraints == {"properties": {"reason": {"minLength": 10}}}
    assert suspend.approvers == ApproverSet(
        frozenset({"U0IDADMIN1", "U0IDADMIN2", "U0IDADMIN3"}), frozenset({"S0IAMOPS"})
    )
    assert (reset.ttl_seconds, reset.quorum, reset.approval_expiry_minutes) == (300, 1, 30)
    assert reset.rate_limit is None
    assert reset.approvers.empty


def test_policy_is_immutable_all_the_way_down() -> None:
    policy = load_policy(REPO / "policy.yaml")
    rule = policy.tools["suspend_identity"]

    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.quorum = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        policy.tools["get_identity"] = rule  # type: ignore[index]
    assert rule.constraints is not None
    with pytest.raises(TypeError):
        rule.constraints["properties"]["reason"]["minLength"] = 1


def test_good_fixture_resolves_direct_and_group_approvers() -> None:
    policy = load_policy(FIXTURES / "good_minimal.yaml")
    rule = policy.tools["suspend_identity"]

    assert rule.approvers.users == {"U0ONCALL1", "U0IDADMIN1", "U0IDADMIN2"}
    assert rule.approvers.usergroups == {"S0IAMOPS"}
    assert rule.approver_groups == ("identity-admins",)
    assert rule.approval_expiry_minutes == 15
    assert policy.tools["reset_mfa"].protected_targets == ("vip-*",)


BROKEN = {
    "syntax_error.yaml": "YAML syntax error: mapping values are not allowed here; "
    "check the indentation and quoting here",
    "unknown_key.yaml": "unknown key 'ttl_secs' in tools.get_identity; allowed keys: mode, "
    "scopes, ttl_seconds, approvers, quorum, approval_expiry_minutes, constraints, "
    "protected_targets, rate_limit",
    "wrong_mode.yaml": "tools.suspend_identity.mode is 'execute'; it must be one of: "
    "read_only, recommend, execute_with_approval",
    "ttl_over_cap.yaml": "tools.get_identity.ttl_seconds is 3600, above the maximum of 900 "
    "(a credential lives at most 900 seconds)",
    "default_ttl_over_cap.yaml": "defaults.credential_ttl_seconds is 1200, above the maximum "
    "of 900 (a credential lives at most 900 seconds)",
    "unknown_approver_group.yaml": "tools.revoke_sessions.approvers.groups[1] names approver "
    "group 'identity-admin', which is not declared under approver_groups (declared: "
    "identity-admins)",
    "missing_approvers.yaml": "tools.revoke_sessions is missing 'approvers', which is "
    "required when mode is execute_with_approval",
    "duplicate_tool.yaml": "duplicate key 'suspend_identity' in tools (first at line 17); "
    "YAML would silently keep only the last one, so merge them or remove one",
    "duplicate_nested_key.yaml": "duplicate key 'quorum' in tools.suspend_identity (first at "
    "line 21); YAML would silently keep only the last one, so merge them or remove one",
    "bad_constraint_schema.yaml": "tools.recent_auth_events.constraints.properties.hours."
    "maximum is not valid JSON Schema: 'a week' is not of type 'number'",
    "quorum_impossible.yaml": "tools.suspend_identity needs 3 approvals but only 2 can ever "
    "approve (U0IDADMIN1, U0IDADMIN2); add approvers or lower the quorum",
    "bad_user_id.yaml": "tools.suspend_identity.approvers.users[1] is 'alice@lab.example', "
    "which is not a Slack user id such as U024BE7LH",
    "remote_constraint_ref.yaml": "tools.get_identity.constraints.$ref points outside the "
    "policy ('https://schemas.example/identity.json'); constraints may only refer inside "
    "themselves, such as '#/$defs/name'",
    "wrong_format.yaml": "policy_format must be 1, not 2",
    "bad_tool_name.yaml": "'Get-Identity' is not a valid name in tools: names must match "
    "^[a-z][a-z0-9_]*$",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_policy_is_refused_with_file_line_and_reason(name: str) -> None:
    path = FIXTURES / name

    with pytest.raises(PolicyError) as refused:
        load_policy(path)

    assert refused.value.file == str(path)
    assert refused.value.line == marked_line(path)
    assert refused.value.reason == BROKEN[name]
    assert str(refused.value) == f"{path}:{marked_line(path)}: {BROKEN[name]}"


def test_load_policy_text_names_the_source_and_hashes_the_utf8_bytes() -> None:
    policy = load_policy_text(MINIMAL, source="inline.yaml")

    assert policy.source == "inline.yaml"
    assert policy.version == hashlib.sha256(MINIMAL.encode()).hexdigest()
    with pytest.raises(PolicyError) as refused:
        load_policy_text(MINIMAL.replace("read_only", "sometimes"))
    assert (refused.value.file, refused.value.line) == ("<string>", 6)


def test_any_byte_changes_the_version() -> None:
    assert load_policy_text(MINIMAL).version != load_policy_text(MINIMAL + "# note\n").version


def test_quorum_inherited_from_defaults_is_checked_and_blamed_on_the_tool() -> None:
    text = MINIMAL.replace("quorum: 1", "quorum: 2") + (
        "  revoke_sessions:\n"
        "    mode: execute_with_approval\n"
        "    scopes: [sessions:revoke]\n"
        "    approvers: {users: [U0ONLYONE]}\n"
    )
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text)

    assert refused.value.line == 7
    assert "needs 2 approvals (defaults.quorum) but only 1 can ever approve" in str(refused.value)


def test_usergroup_approvers_make_any_quorum_possible() -> None:
    text = MINIMAL + (
        "  revoke_sessions:\n"
        "    mode: execute_with_approval\n"
        "    scopes: [sessions:revoke]\n"
        "    approvers: {usergroups: [S0OPS]}\n"
        "    quorum: 5\n"
    )
    assert load_policy_text(text).tools["revoke_sessions"].quorum == 5


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("", 1, "the policy file is empty"),
        ("- just\n- a list\n", 1, "the policy must be a mapping, not a list"),
        (MINIMAL + "---\npolicy_format: 1\n", 7, "expected a single document"),
        (MINIMAL.replace("tokens: 40000", "tokens: -1"), 4, "below the minimum of 1"),
        (
            MINIMAL.replace("[directory:read]", "[directory:read, directory:read]"),
            6,
            "more than once",
        ),
        (MINIMAL.replace("get_identity:", "123:"), 6, "key 123 in tools is read as int, not text"),
        (MINIMAL.replace("scopes:", "ttl_seconds: 1.5, scopes:"), 6, "whole number, not 1.5"),
        (MINIMAL.replace("mode: read_only", "mode: yes"), 6, "mode is true; it must be one of"),
    ],
)
def test_other_refusals_point_at_the_right_line(text: str, line: int, words: str) -> None:
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text)

    assert refused.value.line == line
    assert words in refused.value.reason or words in str(refused.value)


def test_a_file_that_is_not_utf8_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_bytes(MINIMAL.encode() + b"# caf\xe9\n")

    with pytest.raises(PolicyError) as refused:
        load_policy(path)

    assert refused.value.line == 7
    assert "not UTF-8" in refused.value.reason


def test_a_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as refused:
        load_policy(tmp_path / "absent.yaml")

    assert refused.value.file == str(tmp_path / "absent.yaml")
    assert "cannot read the policy file" in refused.value.reason


def test_a_constraint_reference_to_nothing_is_refused_at_its_line() -> None:
    text = MINIMAL.replace(
        "{mode: read_only, scopes: [directory:read]}",
        "\n    mode: read_only\n    scopes: [directory:read]\n"
        "    constraints:\n      properties:\n        hours: {$ref: '#/$defs/missing'}",
    )
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text)

    assert refused.value.line == 11
    assert refused.value.reason == (
        "tools.get_identity.constraints.properties.hours.$ref points at '#/$defs/missing', "
        "which these constraints lack"
    )
