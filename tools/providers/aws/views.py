"""Read views of users, roles and their keys: plain JSON, no secret ever."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tools.providers.aws.lookup import Identity


def iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


def pages(iam: Any, operation: str, key: str, **params: Any) -> list[Any]:
    return [item for page in iam.get_paginator(operation).paginate(**params) for item in page[key]]


def _has_login_profile(iam: Any, user: str) -> bool:
    try:
        iam.get_login_profile(UserName=user)
    except iam.exceptions.NoSuchEntityException:
        return False
    return True


def key_rows(iam: Any, user: str) -> list[dict[str, Any]]:
    rows = []
    for key in pages(iam, "list_access_keys", "AccessKeyMetadata", UserName=user):
        used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
        rows.append(
            {
                "key_id": key["AccessKeyId"],
                "status": key["Status"].lower(),
                "created_at": iso(key.get("CreateDate")),
                "last_used_at": iso(used.get("LastUsedDate")),
                "last_used_service": used.get("ServiceName"),
                "last_used_region": used.get("Region"),
            }
        )
    return rows


def user_view(iam: Any, identity: Identity) -> dict[str, Any]:
    name = identity.name
    keys = key_rows(iam, name)
    activity = [identity.record.get("PasswordLastUsed")]
    return {
        "id": identity.arn,
        "identity": identity.arn,
        "kind": identity.target_kind,
        "principal": "user",
        "name": name,
        "account": identity.account,
        "created_at": iso(identity.record.get("CreateDate")),
        "groups": [
            g["GroupName"] for g in pages(iam, "list_groups_for_user", "Groups", UserName=name)
        ],
        "attached_policies": [
            p["PolicyArn"]
            for p in pages(iam, "list_attached_user_policies", "AttachedPolicies", UserName=name)
        ],
        "inline_policies": pages(iam, "list_user_policies", "PolicyNames", UserName=name),
        "mfa_devices": [
            d["SerialNumber"] for d in pages(iam, "list_mfa_devices", "MFADevices", UserName=name)
        ],
        "console_access": _has_login_profile(iam, name),
        "access_keys": keys,
        "last_activity_at": _latest(
            [*(iso(a) for a in activity), *(k["last_used_at"] for k in keys)]
        ),
    }


def role_view(iam: Any, identity: Identity) -> dict[str, Any]:
    name, record = identity.name, identity.record
    return {
        "id": identity.arn,
        "identity": identity.arn,
        "kind": identity.target_kind,
        "principal": "role",
        "name": name,
        "account": identity.account,
        "created_at": iso(record.get("CreateDate")),
        "max_session_seconds": record.get("MaxSessionDuration"),
        "attached_policies": [
            p["PolicyArn"]
            for p in pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)
        ],
        "inline_policies": pages(iam, "list_role_policies", "PolicyNames", RoleName=name),
        "last_activity_at": iso((record.get("RoleLastUsed") or {}).get("LastUsedDate")),
    }


def identity_view(iam: Any, identity: Identity) -> dict[str, Any]:
    return user_view(iam, identity) if identity.kind == "user" else role_view(iam, identity)


def keys_view(iam: Any, identity: Identity) -> dict[str, Any]:
    if identity.kind != "user":
        return {"identity": identity.arn, "keys": [], "note": "roles have no access keys"}
    keys = key_rows(iam, identity.name)
    return {
        "identity": identity.arn,
        "keys": keys,
        "active_count": sum(1 for k in keys if k["status"] == "active"),
    }


def _latest(values: list[str | None]) -> str | None:
    present = [v for v in values if v]
    return max(present) if present else None
