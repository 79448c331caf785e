"""The AWS provider's reads, over signed HTTP to the local AWS API."""

from __future__ import annotations

import pytest

from tests.aws.world import AwsWorld, presented
from tools.errors import AwsCredentialRefused, AwsError, AwsNotFound
from tools.providers.aws.provider import AwsProvider
from tools.providers.aws.session import AwsKeys, client

READ = {"directory:read", "keys:read"}


def test_get_identity_of_a_user_shows_groups_policies_keys_and_console(aws_world: AwsWorld) -> None:
    provider = AwsProvider(aws_world.config())
    view = provider.get_identity(aws_world.admin_credential(READ), aws_world.bob)
    assert view["identity"] == aws_world.arn("user", aws_world.bob)
    assert view["groups"] == [aws_world.admins]
    assert view["console_access"] is True
    assert view["mfa_devices"] == []
    assert [k["status"] for k in view["access_keys"]] == ["active"]


def test_get_identity_of_a_role_by_arn(aws_world: AwsWorld) -> None:
    provider = AwsProvider(aws_world.config())
    arn = aws_world.arn("role", aws_world.deployer_role)
    view = provider.get_identity(aws_world.admin_credential(READ), arn)
    assert view["principal"] == "role" and view["kind"] == "service_account"
    assert view["inline_policies"] == ["deploy"]


def test_list_access_keys_reports_last_use(aws_world: AwsWorld) -> None:
    provider = AwsProvider(aws_world.config())
    used = aws_world.alice_keys[0]
    client(aws_world.config(), used, "sts").get_caller_identity()
    view = provider.list_access_keys(aws_world.admin_credential(READ), aws_world.alice)
    keys = {k["key_id"]: k for k in view["keys"]}
    assert set(keys) == {k.access_key_id for k in aws_world.alice_keys}
    assert view["active_count"] == 2
    assert keys[used.access_key_id]["last_used_at"] is not None
    assert keys[used.access_key_id]["last_used_service"] == "sts"


def test_resolve_target_by_key_id_names_the_owner(aws_world: AwsWorld) -> None:
    provider = AwsProvider(aws_world.config())
    key = aws_world.alice_keys[1].access_key_id
    info = provider.resolve_target(aws_world.admin_credential({"directory:read"}), key)
    assert info.kind == "access_key"
    assert info.identity_id == aws_world.arn("user", aws_world.alice)
    assert aws_world.alice.lower() in info.aliases and key.lower() in info.aliases


def test_unknown_and_foreign_targets_are_refused_with_reasons(aws_world: AwsWorld) -> None:
    provider = AwsProvider(aws_world.config())
    cred = aws_world.admin_credential({"directory:read"})
    with pytest.raises(AwsNotFound):
        provider.resolve_target(cred, f"{aws_world.prefix}-nobody")
    with pytest.raises(AwsError, match="does not manage"):
        provider.resolve_target(cred, "arn:aws:iam::999999999999:user/alice")


def test_blast_radius_names_admin_equivalent_paths(aws_world: AwsWorld) -> None:
    provider = AwsProvider(aws_world.config())
    cred = aws_world.admin_credential(READ)
    bob = provider.assess_blast_radius(cred, aws_world.bob)
    assert bob["level"] == "critical" and bob["admin_equivalent"]
    assert any(aws_world.admins in path for path in bob["admin_equivalent_paths"])
    deployer = provider.assess_blast_radius(cred, aws_world.deployer_role)
    assert any(b["component"] == "pass_role" and b["count"] == 1 for b in deployer["breakdown"])
    alice = provider.assess_blast_radius(cred, aws_world.alice)
    assert not alice["admin_equivalent"] and alice["level"] == "low"


def test_a_credential_without_the_scope_is_refused_before_aws_is_called(
    aws_world: AwsWorld,
) -> None:
    provider = AwsProvider(aws_world.config())
    with pytest.raises(AwsCredentialRefused, match="lacks scope keys:read"):
        provider.list_access_keys(aws_world.admin_credential({"directory:read"}), aws_world.alice)


def test_a_key_aws_does_not_know_is_refused_by_aws(aws_world: AwsWorld) -> None:
    provider = AwsProvider(aws_world.config())
    bogus = presented(AwsKeys("AKIAQWERTYUIOPASDFGH", "not-a-secret"), READ)
    with pytest.raises(AwsCredentialRefused, match="InvalidClientTokenId"):
        provider.get_identity(bogus, aws_world.alice)
