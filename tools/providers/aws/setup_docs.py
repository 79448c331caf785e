"""The IAM documents an AWS administrator creates for socbot, least privilege, written out.

`socbot providers check` prints them and docs/providers.md explains them. The base principal
is what socbot's own keys belong to: it can only assume the socbot role, deny that role's
revoked sessions, and (for the iam_user strategy) manage users under socbot's own path.
"""

from __future__ import annotations

from typing import Any

from tools.providers.aws.arns import parse_arn
from tools.providers.aws.config import AwsConfig
from tools.providers.aws.iam_actions import SCOPE_ACTIONS, action_policy

STS_ACTIONS = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
REVOCATION_ACTIONS = ["iam:GetRolePolicy", "iam:PutRolePolicy"]
PER_CALL_USER_ACTIONS = [
    "iam:CreateUser",
    "iam:TagUser",
    "iam:GetUser",
    "iam:PutUserPolicy",
    "iam:ListUserPolicies",
    "iam:DeleteUserPolicy",
    "iam:CreateAccessKey",
    "iam:ListAccessKeys",
    "iam:DeleteAccessKey",
    "iam:DeleteUser",
]


def base_policy(config: AwsConfig, account: str, *, resource_scoped: bool = True) -> dict[str, Any]:
    """The base principal's policy. `resource_scoped=False` drops the resource ARNs, for an API
    (the local one) that matches only actions."""
    role = config.role_arn or f"arn:{config.partition}:iam::{account}:role/socbot-actions"
    users = f"arn:{config.partition}:iam::{account}:user{config.user_path}*"

    def on(resource: str) -> str | list[str]:
        return resource if resource_scoped else "*"

    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AssumeSocbotRole",
                "Effect": "Allow",
                "Action": STS_ACTIONS,
                "Resource": on(role),
            },
            {
                "Sid": "RevokeSocbotSessions",
                "Effect": "Allow",
                "Action": REVOCATION_ACTIONS,
                "Resource": on(role),
            },
            {
                "Sid": "PerCallUsers",
                "Effect": "Allow",
                "Action": PER_CALL_USER_ACTIONS,
                "Resource": on(users),
            },
            {
                "Sid": "Probe",
                "Effect": "Allow",
                "Action": ["iam:ListAccountAliases"],
                "Resource": "*",
            },
        ],
    }


def role_trust_policy(base_principal_arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": base_principal_arn},
                "Action": STS_ACTIONS,
            }
        ],
    }


def role_policy() -> dict[str, Any]:
    """The socbot role's own policy: every action any tool may need, on any resource. Each
    session narrows it to one tool's actions on one target with its session policy."""
    return action_policy(SCOPE_ACTIONS)


def account_of_role(config: AwsConfig) -> str | None:
    parsed = parse_arn(config.role_arn or "")
    return parsed.account if parsed else None
