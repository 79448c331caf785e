"""The one table from socbot scopes to IAM actions, and the policy documents built from it.

A policy rule grants a tool scopes (keys:deactivate, …). Here each scope becomes the IAM
actions it allows and the kind of resource each applies to. The same table builds the
session policy of a per-call credential (actions on the target's ARN), the action-scoped
policy of the role or per-call user, and the least-privilege documents in docs/providers.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Resource kinds an action applies to; resources_for() turns them into ARNs.
TARGET = "target"  # the identity the call is about (user or role ARN)
GROUPS = "groups"  # the account's groups (membership changes and group policies)
POLICIES = "policies"  # managed policies, the account's and AWS's own
ACCOUNT = "account"  # account-wide calls that name no resource

PROBE_ACTION = "iam:ListAccountAliases"  # harmless; a revoked credential must be refused it

SCOPE_ACTIONS: Mapping[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "directory:read": (
        (
            (
                "iam:GetUser",
                "iam:GetRole",
                "iam:ListGroupsForUser",
                "iam:ListAttachedUserPolicies",
                "iam:ListUserPolicies",
                "iam:GetUserPolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListRolePolicies",
                "iam:GetRolePolicy",
                "iam:ListMFADevices",
                "iam:GetLoginProfile",
                "iam:ListAccessKeys",
                "iam:GetAccessKeyLastUsed",
            ),
            TARGET,
        ),
        (
            (
                "iam:GetGroup",
                "iam:ListAttachedGroupPolicies",
                "iam:ListGroupPolicies",
                "iam:GetGroupPolicy",
            ),
            GROUPS,
        ),
        (("iam:GetPolicy", "iam:GetPolicyVersion"), POLICIES),
    ),
    "keys:read": (
        (("iam:GetUser", "iam:GetRole", "iam:ListAccessKeys", "iam:GetAccessKeyLastUsed"), TARGET),
    ),
    "keys:deactivate": (
        (
            (
                "iam:GetAccessKeyLastUsed",
                "iam:GetUser",
                "iam:ListAccessKeys",
                "iam:UpdateAccessKey",
            ),
            TARGET,
        ),
    ),
    "keys:rotate": (
        (
            (
                "iam:GetAccessKeyLastUsed",
                "iam:GetUser",
                "iam:ListAccessKeys",
                "iam:CreateAccessKey",
                "iam:UpdateAccessKey",
            ),
            TARGET,
        ),
    ),
    "groups:write": (
        (("iam:GetUser", "iam:GetRole", "iam:ListGroupsForUser"), TARGET),
        (("iam:GetGroup", "iam:RemoveUserFromGroup"), GROUPS),
    ),
    "identity:suspend": (
        (
            (
                "iam:GetUser",
                "iam:GetRole",
                "iam:ListAccessKeys",
                "iam:UpdateAccessKey",
                "iam:GetLoginProfile",
                "iam:DeleteLoginProfile",
                "iam:GetUserPolicy",
                "iam:GetRolePolicy",
                "iam:PutUserPolicy",
                "iam:PutRolePolicy",
            ),
            TARGET,
        ),
    ),
    "sessions:revoke": (
        (
            (
                "iam:GetUser",
                "iam:GetRole",
                "iam:GetUserPolicy",
                "iam:GetRolePolicy",
                "iam:PutUserPolicy",
                "iam:PutRolePolicy",
            ),
            TARGET,
        ),
    ),
    "mfa:reset": (
        (("iam:GetUser", "iam:GetRole", "iam:ListMFADevices", "iam:DeactivateMFADevice"), TARGET),
    ),
}

# What each provider operation needs, as policy scopes (checked before AWS is called) and as
# the IAM actions it calls (checked against the generated documents in the tests).
OPERATION_SCOPES: Mapping[str, frozenset[str]] = {
    "resolve_target": frozenset({"directory:read"}),
    "get_identity": frozenset({"directory:read"}),
    "list_access_keys": frozenset({"keys:read"}),
    "assess_blast_radius": frozenset({"directory:read", "keys:read"}),
    "deactivate_access_key": frozenset({"keys:deactivate"}),
    "rotate_access_key": frozenset({"keys:rotate"}),
    "remove_from_group": frozenset({"groups:write"}),
    "suspend_identity": frozenset({"identity:suspend"}),
    "revoke_sessions": frozenset({"sessions:revoke"}),
    "reset_mfa": frozenset({"mfa:reset"}),
}

OPERATION_ACTIONS: Mapping[str, frozenset[str]] = {
    "resolve_target": frozenset({"iam:GetUser", "iam:GetRole", "iam:GetAccessKeyLastUsed"}),
    "get_identity": frozenset(
        {
            "iam:GetUser",
            "iam:GetRole",
            "iam:ListGroupsForUser",
            "iam:ListAttachedUserPolicies",
            "iam:ListUserPolicies",
            "iam:ListAttachedRolePolicies",
            "iam:ListRolePolicies",
            "iam:ListMFADevices",
            "iam:GetLoginProfile",
            "iam:ListAccessKeys",
            "iam:GetAccessKeyLastUsed",
        }
    ),
    "list_access_keys": frozenset(
        {"iam:GetUser", "iam:GetRole", "iam:ListAccessKeys", "iam:GetAccessKeyLastUsed"}
    ),
    "assess_blast_radius": frozenset(
        {
            "iam:GetUser",
            "iam:GetRole",
            "iam:ListGroupsForUser",
            "iam:ListAttachedUserPolicies",
            "iam:ListUserPolicies",
            "iam:GetUserPolicy",
            "iam:ListAttachedRolePolicies",
            "iam:ListRolePolicies",
            "iam:GetRolePolicy",
            "iam:ListAttachedGroupPolicies",
            "iam:ListGroupPolicies",
            "iam:GetGroupPolicy",
            "iam:GetPolicy",
            "iam:GetPolicyVersion",
            "iam:ListAccessKeys",
            "iam:GetAccessKeyLastUsed",
            "iam:GetLoginProfile",
            "iam:ListMFADevices",
        }
    ),
    "deactivate_access_key": frozenset(
        {"iam:GetAccessKeyLastUsed", "iam:GetUser", "iam:ListAccessKeys", "iam:UpdateAccessKey"}
    ),
    "rotate_access_key": frozenset(
        {
            "iam:GetAccessKeyLastUsed",
            "iam:GetUser",
            "iam:ListAccessKeys",
            "iam:CreateAccessKey",
            "iam:UpdateAccessKey",
        }
    ),
    "remove_from_group": frozenset(
        {
            "iam:GetUser",
            "iam:GetRole",
            "iam:GetGroup",
            "iam:ListGroupsForUser",
            "iam:RemoveUserFromGroup",
        }
    ),
    "suspend_identity": frozenset(
        {
            "iam:GetUser",
            "iam:GetRole",
            "iam:ListAccessKeys",
            "iam:UpdateAccessKey",
            "iam:GetLoginProfile",
            "iam:DeleteLoginProfile",
            "iam:GetUserPolicy",
            "iam:GetRolePolicy",
            "iam:PutUserPolicy",
            "iam:PutRolePolicy",
        }
    ),
    "revoke_sessions": frozenset(
        {
            "iam:GetUser",
            "iam:GetRole",
            "iam:GetUserPolicy",
            "iam:GetRolePolicy",
            "iam:PutUserPolicy",
            "iam:PutRolePolicy",
        }
    ),
    "reset_mfa": frozenset(
        {"iam:GetUser", "iam:GetRole", "iam:ListMFADevices", "iam:DeactivateMFADevice"}
    ),
}


@dataclass(frozen=True)
class Scoping:
    """The resources one credential may touch: the target's ARNs and the account they live in."""

    account: str  # 12 digits, or "*" when the target's account is not known yet
    targets: tuple[str, ...]  # user/role ARNs; wildcards within the account when unresolved
    partition: str = "aws"

    def resources(self, kind: str) -> list[str]:
        prefix = f"arn:{self.partition}:iam::"
        if kind == TARGET:
            return sorted(set(self.targets))
        if kind == GROUPS:
            return [f"{prefix}{self.account}:group/*"]
        if kind == POLICIES:
            return [f"{prefix}*:policy/*"]
        return ["*"]


def unknown_scopes(scopes: Iterable[str]) -> list[str]:
    return sorted(set(scopes) - set(SCOPE_ACTIONS))


def actions_for(scopes: Iterable[str]) -> list[str]:
    """Every IAM action the scopes allow, the probe action included."""
    found = {PROBE_ACTION}
    for scope in scopes:
        for actions, _kind in SCOPE_ACTIONS.get(scope, ()):
            found.update(actions)
    return sorted(found)


def session_policy(scopes: Iterable[str], scoping: Scoping) -> dict[str, Any]:
    """The session policy of one credential: only the scopes' actions, only on its resources."""
    by_kind: dict[str, set[str]] = {}
    for scope in sorted(set(scopes)):
        for actions, kind in SCOPE_ACTIONS.get(scope, ()):
            by_kind.setdefault(kind, set()).update(actions)
    statements: list[dict[str, Any]] = [
        {
            "Sid": f"Socbot{kind.capitalize()}",
            "Effect": "Allow",
            "Action": sorted(actions),
            "Resource": scoping.resources(kind),
        }
        for kind, actions in sorted(by_kind.items())
    ]
    statements.append(
        {"Sid": "SocbotProbe", "Effect": "Allow", "Action": [PROBE_ACTION], "Resource": ["*"]}
    )
    return {"Version": "2012-10-17", "Statement": statements}


def action_policy(scopes: Iterable[str]) -> dict[str, Any]:
    """An identity policy of the scopes' actions on any resource: the role's or per-call user's
    own policy. Resource scoping lives in the session policy, where AWS enforces it."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SocbotActions",
                "Effect": "Allow",
                "Action": actions_for(scopes),
                "Resource": "*",
            }
        ],
    }


def all_actions() -> list[str]:
    return actions_for(SCOPE_ACTIONS)
