"""An account's worth of identities for one test, under names no other test uses."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tools.base import PresentedCredential
from tools.providers.aws.config import AwsConfig
from tools.providers.aws.local_api import ADMIN_POLICY, LocalAwsApi
from tools.providers.aws.secrets import StaticSecretSource
from tools.providers.aws.session import AwsKeys, client
from tools.providers.aws.setup_docs import base_policy, role_policy, role_trust_policy

PASS_ROLE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:*"], "Resource": "*"}],
}
READ_S3 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}],
}


@dataclass
class AwsWorld:
    api: LocalAwsApi
    prefix: str
    base: AwsKeys  # socbot's base principal
    role_arn: str
    alice: str
    alice_keys: list[AwsKeys]
    bob: str  # admin by group, console, no MFA
    deployer_role: str
    break_glass: str
    devs: str
    admins: str

    def admin_iam(self) -> Any:
        return client(self.api.config(), self.api.admin, "iam")

    def config(self, **overrides: Any) -> AwsConfig:
        return self.api.config(role_arn=self.role_arn, **overrides)

    def secrets(self) -> StaticSecretSource:
        return StaticSecretSource(
            {
                "aws/access_key_id": self.base.access_key_id,
                "aws/secret_access_key": self.base.secret_access_key,
            }
        )

    def arn(self, kind: str, name: str) -> str:
        return f"arn:aws:iam::{self.api.account}:{kind}/{name}"

    def admin_credential(self, scopes: set[str]) -> PresentedCredential:
        """The administrator's keys dressed as a credential: for provider tests that are not
        about per-call credentials."""
        return presented(self.api.admin, scopes)


def presented(
    keys: AwsKeys, scopes: set[str], credential_id: str = "cred_test"
) -> PresentedCredential:
    expires = datetime.now(UTC) + timedelta(minutes=5)
    return PresentedCredential(credential_id, keys.to_secret(), frozenset(scopes), expires)


def _doc(document: dict[str, Any]) -> str:
    return json.dumps(document)


def _user(
    iam: Any, name: str, keys: int = 0, policy: dict[str, Any] | None = None
) -> list[AwsKeys]:
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="own", PolicyDocument=_doc(policy))
    made = [iam.create_access_key(UserName=name)["AccessKey"] for _ in range(keys)]
    return [AwsKeys(m["AccessKeyId"], m["SecretAccessKey"]) for m in made]


def build_world(api: LocalAwsApi) -> AwsWorld:
    p = "t" + uuid.uuid4().hex[:8]
    iam = client(api.config(), api.admin, "iam")
    base_name = f"{p}-socbot"
    role_name = f"{p}-socbot-role"
    role_arn = f"arn:aws:iam::{api.account}:role/{role_name}"
    config = api.config(role_arn=role_arn)
    # The local API matches policies on actions only, so the base policy drops its resources.
    base = _user(iam, base_name, 1, base_policy(config, api.account, resource_scoped=False))[0]
    iam.create_role(
        RoleName=role_name,
        AssumeRolePolicyDocument=_doc(
            role_trust_policy(f"arn:aws:iam::{api.account}:user/{base_name}")
        ),
    )
    iam.put_role_policy(RoleName=role_name, PolicyName="socbot", PolicyDocument=_doc(role_policy()))
    alice, bob, glass = f"{p}-alice", f"{p}-bob", f"break-glass-{p}"
    alice_keys = _user(iam, alice, 2, READ_S3)
    _user(iam, bob, 1)
    _user(iam, glass, 1, ADMIN_POLICY)
    iam.create_login_profile(UserName=bob, Password="Corr3ct-Horse-Battery!")
    devs, admins = f"{p}-devs", f"{p}-admins"
    iam.create_group(GroupName=devs)
    iam.create_group(GroupName=admins)
    iam.put_group_policy(GroupName=admins, PolicyName="all", PolicyDocument=_doc(ADMIN_POLICY))
    iam.add_user_to_group(GroupName=devs, UserName=alice)
    iam.add_user_to_group(GroupName=admins, UserName=bob)
    deployer = f"{p}-deployer"
    iam.create_role(
        RoleName=deployer,
        AssumeRolePolicyDocument=_doc(role_trust_policy(f"arn:aws:iam::{api.account}:user/{bob}")),
    )
    iam.put_role_policy(RoleName=deployer, PolicyName="deploy", PolicyDocument=_doc(PASS_ROLE))
    return AwsWorld(api, p, base, role_arn, alice, alice_keys, bob, deployer, glass, devs, admins)
