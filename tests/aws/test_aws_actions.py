"""Containment in AWS: each action changes the account, says what it changed, and can be undone."""

from __future__ import annotations

import pytest

from tests.aws.world import AwsWorld
from tools.errors import AwsCredentialRefused, AwsError
from tools.providers.aws.changes import apply_undo
from tools.providers.aws.provider import AwsProvider


def _status(world: AwsWorld, user: str, key_id: str) -> str:
    keys = world.admin_iam().list_access_keys(UserName=user)["AccessKeyMetadata"]
    return next(k["Status"] for k in keys if k["AccessKeyId"] == key_id)


def test_deactivate_key_records_the_change_and_undo_restores_it(aws_world: AwsWorld) -> None:
    # The local API still accepts an inactive key (it refuses only deleted ones), so this
    # checks the key's status in IAM; real AWS refuses the key from that moment.
    provider = AwsProvider(aws_world.config())
    key = aws_world.alice_keys[0]
    result = provider.deactivate_access_key(
        aws_world.admin_credential({"keys:deactivate"}), key.access_key_id
    )
    assert result["changed"] and result["previous_status"] == "active"
    assert result["undo"] == [
        {
            "call": "UpdateAccessKey",
            "params": {
                "UserName": aws_world.alice,
                "AccessKeyId": key.access_key_id,
                "Status": "Active",
            },
        }
    ]
    assert _status(aws_world, aws_world.alice, key.access_key_id) == "Inactive"
    again = provider.deactivate_access_key(
        aws_world.admin_credential({"keys:deactivate"}), key.access_key_id
    )
    assert again["changed"] is False and again["undo"] == []
    apply_undo(aws_world.admin_iam(), result["undo"])
    assert _status(aws_world, aws_world.alice, key.access_key_id) == "Active"


def test_rotation_delivers_the_new_secret_and_never_returns_it(aws_world: AwsWorld) -> None:
    delivered: list[tuple[str, str, str]] = []

    def deliver(user: str, key_id: str, secret: str) -> str:
        delivered.append((user, key_id, secret))
        return "test vault"

    iam = aws_world.admin_iam()
    old = aws_world.alice_keys[0].access_key_id
    iam.delete_access_key(
        UserName=aws_world.alice, AccessKeyId=aws_world.alice_keys[1].access_key_id
    )
    provider = AwsProvider(aws_world.config(), key_delivery=deliver)
    result = provider.rotate_access_key(aws_world.admin_credential({"keys:rotate"}), old)
    (user, new_id, secret) = delivered[0]
    assert user == aws_world.alice and result["new_key_id"] == new_id
    assert secret not in repr(result)
    assert _status(aws_world, aws_world.alice, old) == "Inactive"
    assert _status(aws_world, aws_world.alice, new_id) == "Active"
    assert [step["call"] for step in result["undo"]] == ["UpdateAccessKey", "DeleteAccessKey"]


def test_rotation_without_a_delivery_changes_nothing(aws_world: AwsWorld) -> None:
    provider = AwsProvider(aws_world.config())
    old = aws_world.alice_keys[0].access_key_id
    with pytest.raises(AwsError, match="deliver the new secret"):
        provider.rotate_access_key(aws_world.admin_credential({"keys:rotate"}), old)
    assert (
        len(aws_world.admin_iam().list_access_keys(UserName=aws_world.alice)["AccessKeyMetadata"])
        == 2
    )


def test_remove_from_group_and_undo(aws_world: AwsWorld) -> None:
    provider = AwsProvider(aws_world.config())
    cred = aws_world.admin_credential({"groups:write"})
    result = provider.remove_from_group(cred, aws_world.bob, aws_world.admins)
    assert result["removed"] is True
    iam = aws_world.admin_iam()
    assert iam.list_groups_for_user(UserName=aws_world.bob)["Groups"] == []
    apply_undo(iam, result["undo"])
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=aws_world.bob)["Groups"]] == [
        aws_world.admins
    ]


def test_suspended_user_loses_keys_console_and_every_action(aws_world: AwsWorld) -> None:
    provider = AwsProvider(aws_world.config())
    glass_keys = aws_world.admin_iam().list_access_keys(UserName=aws_world.bob)["AccessKeyMetadata"]
    result = provider.suspend_identity(
        aws_world.admin_credential({"identity:suspend"}), aws_world.bob
    )
    assert result["status"] == "suspended" and result["changed"]
    calls = [c["call"] for c in result["changes"]]
    assert calls == ["UpdateAccessKey", "DeleteLoginProfile", "PutUserPolicy"]
    assert _status(aws_world, aws_world.bob, glass_keys[0]["AccessKeyId"]) == "Inactive"
    iam = aws_world.admin_iam()
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_login_profile(UserName=aws_world.bob)
    assert "socbot-quarantine" in iam.list_user_policies(UserName=aws_world.bob)["PolicyNames"]
    assert result["undo"][0] == {
        "call": "DeleteUserPolicy",
        "params": {"UserName": aws_world.bob, "PolicyName": "socbot-quarantine"},
    }


def test_suspended_role_gets_the_session_revocation_deny(aws_world: AwsWorld) -> None:
    provider = AwsProvider(aws_world.config())
    result = provider.suspend_identity(
        aws_world.admin_credential({"identity:suspend"}), aws_world.deployer_role
    )
    policies = aws_world.admin_iam().list_role_policies(RoleName=aws_world.deployer_role)
    assert {"socbot-revoke-older-sessions", "socbot-quarantine"} <= set(policies["PolicyNames"])
    assert [c["call"] for c in result["changes"]] == ["PutRolePolicy", "PutRolePolicy"]


def test_revoke_sessions_writes_a_token_issue_time_deny(aws_world: AwsWorld) -> None:
    provider = AwsProvider(aws_world.config())
    result = provider.revoke_sessions(
        aws_world.admin_credential({"sessions:revoke"}), aws_world.deployer_role
    )
    doc = aws_world.admin_iam().get_role_policy(
        RoleName=aws_world.deployer_role, PolicyName="socbot-revoke-older-sessions"
    )["PolicyDocument"]
    condition = doc["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
    assert condition.startswith(result["revoked_before"][:16])


def test_an_action_with_a_read_credential_is_refused(aws_world: AwsWorld) -> None:
    provider = AwsProvider(aws_world.config())
    with pytest.raises(AwsCredentialRefused, match="lacks scope"):
        provider.suspend_identity(aws_world.admin_credential({"directory:read"}), aws_world.alice)
