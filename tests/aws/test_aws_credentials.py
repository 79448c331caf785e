"""Per-call AWS credentials against the local AWS API: minted scoped, revoked, verified refused.

What the local API can show is shown here: a deleted key is refused, an action outside the
credential's identity policy is refused, a revoked sts session is refused once the deny on its
tag is attached. What only real AWS enforces (session policies' resource scoping, a tag
condition sparing other sessions) is checked on the documents, in test_iam_policies.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.aws.world import AwsWorld, presented
from tools.errors import AwsCredentialRefused
from tools.providers.aws.credentials import AwsIamUserBackend, AwsStsBackend
from tools.providers.aws.iam_actions import action_policy
from tools.providers.aws.provider import AwsProvider
from tools.providers.aws.revocation import REVOKED_POLICY
from tools.providers.aws.session import AwsKeys, client
from tools.providers.call_scope import CallScope, scoped_call

READ = frozenset({"directory:read"})


def _expires() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=60)


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_sts_credential_acts_then_is_refused_once_revoked(aws_world: AwsWorld) -> None:
    backend = AwsStsBackend(aws_world.config(), aws_world.secrets())
    alice = aws_world.arn("user", aws_world.alice)
    with scoped_call(CallScope("aws", "get_identity", (alice,))):
        secret = backend.mint("cred_sts0001", READ, "task_1", _expires())
    keys = AwsKeys.from_secret(secret)
    assert keys.access_key_id.startswith("ASIA") and keys.session_token
    provider = AwsProvider(aws_world.config())
    cred = presented(keys, set(READ), "cred_sts0001")
    assert provider.get_identity(cred, alice)["name"] == aws_world.alice
    assert backend.is_accepted("cred_sts0001")
    backend.revoke("cred_sts0001")
    assert backend.denied("cred_sts0001")
    assert backend.is_accepted("cred_sts0001") is False
    with pytest.raises(AwsCredentialRefused, match="AccessDenied"):
        provider.get_identity(cred, alice)


def test_sts_deny_names_the_credential_tag(aws_world: AwsWorld) -> None:
    backend = AwsStsBackend(aws_world.config(), aws_world.secrets())
    backend.mint("cred_sts0002", READ, "task_2", _expires())
    backend.revoke("cred_sts0002")
    role = aws_world.role_arn.rsplit("/", 1)[1]
    document = aws_world.admin_iam().get_role_policy(RoleName=role, PolicyName=REVOKED_POLICY)
    (statement,) = document["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    condition = statement["Condition"]["StringEquals"]["aws:PrincipalTag/socbot-credential"]
    assert condition == ["cred_sts0002"]


def test_sts_session_is_named_for_the_credential(aws_world: AwsWorld) -> None:
    backend = AwsStsBackend(aws_world.config(), aws_world.secrets())
    keys = AwsKeys.from_secret(backend.mint("cred_sts0003", READ, "task_3", _expires()))
    arn = client(aws_world.config(), keys, "sts").get_caller_identity()["Arn"]
    assert arn.endswith("/cred_sts0003")


def test_sts_credential_cannot_do_what_the_role_does_not_allow(aws_world: AwsWorld) -> None:
    backend = AwsStsBackend(aws_world.config(), aws_world.secrets())
    keys = AwsKeys.from_secret(backend.mint("cred_sts0004", READ, "task_4", _expires()))
    with pytest.raises(ClientError) as refused:
        client(aws_world.config(), keys, "iam").create_user(UserName=f"{aws_world.prefix}-evil")
    assert _code(refused) == "AccessDenied"


def test_iam_user_credential_lives_for_one_call(aws_world: AwsWorld) -> None:
    backend = AwsIamUserBackend(aws_world.config(), aws_world.secrets())
    scopes = frozenset({"keys:read"})
    keys = AwsKeys.from_secret(backend.mint("cred_usr0001", scopes, "task_5", _expires()))
    iam = aws_world.admin_iam()
    user = iam.get_user(UserName="socbot-cred_usr0001")["User"]
    assert user["Path"] == "/socbot/"
    tags = {t["Key"]: t["Value"] for t in user.get("Tags", [])}
    assert tags == {"socbot-credential": "cred_usr0001", "socbot-task": "task_5"}
    policy = iam.get_user_policy(UserName="socbot-cred_usr0001", PolicyName="socbot-call")
    assert policy["PolicyDocument"] == action_policy(scopes)
    own = client(aws_world.config(), keys, "iam")
    assert own.list_access_keys(UserName=aws_world.alice)["AccessKeyMetadata"]
    with pytest.raises(ClientError) as refused:  # outside the credential's actions
        own.update_access_key(
            UserName=aws_world.alice,
            AccessKeyId=aws_world.alice_keys[0].access_key_id,
            Status="Inactive",
        )
    assert _code(refused) == "AccessDenied"
    backend.revoke("cred_usr0001")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName="socbot-cred_usr0001")
    with pytest.raises(ClientError) as gone:
        own.list_access_keys(UserName=aws_world.alice)
    assert _code(gone) == "InvalidClientTokenId"
    assert backend.is_accepted("cred_usr0001") is False


def test_iam_user_revocation_by_another_process(aws_world: AwsWorld) -> None:
    minter = AwsIamUserBackend(aws_world.config(), aws_world.secrets())
    minter.mint("cred_usr0002", READ, "task_6", _expires())
    sweeper = AwsIamUserBackend(aws_world.config(), aws_world.secrets())
    assert sweeper.is_accepted("cred_usr0002") is True
    sweeper.revoke("cred_usr0002")
    sweeper.revoke("cred_usr0002")  # twice is harmless
    assert sweeper.is_accepted("cred_usr0002") is False
    assert minter.is_accepted("cred_usr0002") is False
