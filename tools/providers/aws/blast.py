"""Blast radius of an AWS identity: a score and the admin-equivalent paths behind it."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from tools.providers.aws.lookup import Identity
from tools.providers.aws.policies import Statement, effective_statements
from tools.providers.aws.views import key_rows

# Actions that let an identity make itself (or another) more powerful than it is.
ESCALATION_ACTIONS = (
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:AttachUserPolicy",
    "iam:PutUserPolicy",
    "iam:AttachRolePolicy",
    "iam:PutRolePolicy",
    "iam:AttachGroupPolicy",
    "iam:PutGroupPolicy",
    "iam:AddUserToGroup",
    "iam:CreatePolicyVersion",
    "iam:UpdateAssumeRolePolicy",
)
WEIGHTS = {
    "full_admin": 100,
    "pass_role": 40,
    "privilege_escalation": 40,
    "assume_role": 30,
    "wildcard_actions": 10,
    "active_access_keys": 5,
    "console_without_mfa": 15,
}


def allows(statement: Statement, action: str) -> bool:
    if statement.effect != "Allow":
        return False
    wanted = action.lower()
    if statement.not_actions:
        return not any(fnmatchcase(wanted, p.lower()) for p in statement.not_actions)
    return any(fnmatchcase(wanted, p.lower()) for p in statement.actions)


def _on_others(statement: Statement, own_arn: str) -> bool:
    return any(r != own_arn for r in statement.resources)


def _paths(statements: list[Statement], own_arn: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {name: [] for name in WEIGHTS}
    for s in statements:
        where = f"{s.source} on {', '.join(s.resources)}"
        if allows(s, "*") or (allows(s, "iam:*") and "*" in s.resources):
            found["full_admin"].append(where)
        if allows(s, "iam:PassRole"):
            found["pass_role"].append(where)
        escalations = [a for a in ESCALATION_ACTIONS if allows(s, a)]
        if escalations and _on_others(s, own_arn):
            found["privilege_escalation"].append(f"{', '.join(escalations)} via {where}")
        if allows(s, "sts:AssumeRole"):
            found["assume_role"].append(where)
        wild = [a for a in s.actions if "*" in a] if s.effect == "Allow" else []
        if wild or (s.effect == "Allow" and s.not_actions):
            found["wildcard_actions"].append(f"{', '.join(wild) or 'NotAction'} via {s.source}")
    return found


def blast_radius_view(iam: Any, identity: Identity) -> dict[str, Any]:
    statements, groups = effective_statements(iam, identity)
    paths = _paths(statements, identity.arn)
    if identity.kind == "user":
        keys = [k["key_id"] for k in key_rows(iam, identity.name) if k["status"] == "active"]
        paths["active_access_keys"] = keys
        paths["console_without_mfa"] = _console_without_mfa(iam, identity.name)
    breakdown: list[dict[str, Any]] = [
        {
            "component": name,
            "count": len(items),
            "weight": WEIGHTS[name],
            "points": len(items) * WEIGHTS[name],
            "items": items[:10],
        }
        for name, items in paths.items()
    ]
    score = sum(int(part["points"]) for part in breakdown)
    admin_paths = paths["full_admin"] + paths["pass_role"] + paths["privilege_escalation"]
    return {
        "identity": identity.arn,
        "kind": identity.kind,
        "groups": groups,
        "score": score,
        "level": _level(score),
        "admin_equivalent": bool(admin_paths or paths["assume_role"]),
        "admin_equivalent_paths": admin_paths
        + [f"sts:AssumeRole via {p}" for p in paths["assume_role"]],
        "breakdown": breakdown,
    }


def _console_without_mfa(iam: Any, user: str) -> list[str]:
    try:
        iam.get_login_profile(UserName=user)
    except iam.exceptions.NoSuchEntityException:
        return []
    devices = iam.list_mfa_devices(UserName=user)["MFADevices"]
    return [] if devices else [f"user {user} can sign in to the console without MFA"]


def _level(score: int) -> str:
    if score >= 100:
        return "critical"
    if score >= 50:
        return "high"
    return "medium" if score >= 20 else "low"
