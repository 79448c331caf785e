"""An identity's effective policy statements: its own, its groups' and its managed policies'."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from tools.providers.aws.lookup import Identity
from tools.providers.aws.views import pages


@dataclass(frozen=True)
class Statement:
    source: str  # where it comes from, e.g. "group admins / managed AdministratorAccess"
    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]


def _listed(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value)


def parse_document(document: Any, source: str) -> list[Statement]:
    if isinstance(document, str):
        document = json.loads(unquote(document))
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    return [
        Statement(
            source,
            str(s.get("Effect", "Allow")),
            _listed(s.get("Action")),
            _listed(s.get("NotAction")),
            _listed(s.get("Resource")) or ("*",),
        )
        for s in statements
    ]


def _managed(iam: Any, arn: str, source: str) -> list[Statement]:
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
    name = arn.rsplit("/", 1)[-1]
    return parse_document(version["PolicyVersion"]["Document"], f"{source} / managed {name}")


def _owned(iam: Any, kind: str, name: str, source: str) -> list[Statement]:
    key = {f"{kind.capitalize()}Name": name}
    found: list[Statement] = []
    for policy in pages(iam, f"list_{kind}_policies", "PolicyNames", **key):
        document = getattr(iam, f"get_{kind}_policy")(PolicyName=policy, **key)["PolicyDocument"]
        found += parse_document(document, f"{source} / inline {policy}")
    attached = pages(iam, f"list_attached_{kind}_policies", "AttachedPolicies", **key)
    for policy in attached:
        found += _managed(iam, policy["PolicyArn"], source)
    return found


def effective_statements(iam: Any, identity: Identity) -> tuple[list[Statement], list[str]]:
    """(statements, group names) for a user or role."""
    if identity.kind == "role":
        return _owned(iam, "role", identity.name, f"role {identity.name}"), []
    found = _owned(iam, "user", identity.name, f"user {identity.name}")
    groups = [
        g["GroupName"] for g in pages(iam, "list_groups_for_user", "Groups", UserName=identity.name)
    ]
    for group in groups:
        found += _owned(iam, "group", group, f"group {group}")
    return found, groups
