"""Containment in AWS IAM. Each action says what it changed and how to undo it; repeating one
is harmless and reports `changed: false`. No secret is ever returned."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tools.errors import AwsError
from tools.providers.aws.changes import ChangeLog
from tools.providers.aws.lookup import Identity, find_group, key_owner
from tools.providers.aws.views import pages

QUARANTINE_POLICY = "socbot-quarantine"
REVOKE_POLICY = "socbot-revoke-older-sessions"
DENY_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "SocbotQuarantine", "Effect": "Deny", "Action": "*", "Resource": "*"}],
}

# Receives (user name, new key id, new secret) and says where the secret went.
KeyDelivery = Callable[[str, str, str], str]


def revoke_older_sessions(now: datetime) -> dict[str, Any]:
    """The AWS console's "revoke active sessions": deny every token issued before now."""
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SocbotRevokeOlderSessions",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": stamp}},
            }
        ],
    }


def _keys(iam: Any, user: str) -> list[dict[str, Any]]:
    return pages(iam, "list_access_keys", "AccessKeyMetadata", UserName=user)


def _key(iam: Any, key_id: str) -> tuple[str, dict[str, Any]]:
    user = key_owner(iam, key_id)
    for key in _keys(iam, user):
        if key["AccessKeyId"] == key_id.strip():
            return user, key
    raise AwsError(f"access key {key_id!r} vanished while being looked up; try again")


def _set_key_status(
    iam: Any, log: ChangeLog, user: str, key_id: str, status: str, was: str
) -> None:
    params = {"UserName": user, "AccessKeyId": key_id, "Status": status}
    iam.update_access_key(**params)
    log.made("UpdateAccessKey", params, ("UpdateAccessKey", {**params, "Status": was}))


def deactivate_access_key(iam: Any, key_id: str) -> dict[str, Any]:
    user, key = _key(iam, key_id)
    previous, log = key["Status"], ChangeLog()
    if previous != "Inactive":
        _set_key_status(iam, log, user, key["AccessKeyId"], "Inactive", previous)
    return {
        "key_id": key["AccessKeyId"],
        "identity": user,
        "previous_status": previous.lower(),
        "status": "inactive",
        "changed": previous != "Inactive",
        **log.as_record(),
    }


def rotate_access_key(iam: Any, key_id: str, deliver: KeyDelivery | None) -> dict[str, Any]:
    user, old = _key(iam, key_id)
    if old["Status"] != "Active":
        raise AwsError(f"access key {old['AccessKeyId']} is already inactive: nothing to rotate")
    if deliver is None:
        raise AwsError(
            "rotation needs somewhere to deliver the new secret, and none is configured; "
            "deactivate_access_key stops the old key without making a new one"
        )
    if len(_keys(iam, user)) >= 2:
        raise AwsError(f"user {user} already has two access keys, AWS's limit: delete one first")
    log = ChangeLog()
    new = iam.create_access_key(UserName=user)["AccessKey"]
    new_id = new["AccessKeyId"]
    log.made(
        "CreateAccessKey",
        {"UserName": user},
        ("DeleteAccessKey", {"UserName": user, "AccessKeyId": new_id}),
    )
    try:
        delivered_to = deliver(user, new_id, new["SecretAccessKey"])
    except Exception:
        iam.delete_access_key(UserName=user, AccessKeyId=new_id)
        raise
    _set_key_status(iam, log, user, old["AccessKeyId"], "Inactive", "Active")
    return {
        "identity": user,
        "old_key_id": old["AccessKeyId"],
        "old_status": "inactive",
        "new_key_id": new_id,
        "new_status": "active",
        "secret_delivery": delivered_to,
        "changed": True,
        **log.as_record(),
    }


def remove_from_group(iam: Any, identity: Identity, group_ref: str) -> dict[str, Any]:
    if identity.kind != "user":
        raise AwsError(f"{identity.arn} is a role: only users belong to IAM groups")
    group = find_group(iam, group_ref)
    name = group["GroupName"]
    member = any(
        g["GroupName"] == name
        for g in pages(iam, "list_groups_for_user", "Groups", UserName=identity.name)
    )
    log = ChangeLog()
    if member:
        params = {"GroupName": name, "UserName": identity.name}
        iam.remove_user_from_group(**params)
        log.made("RemoveUserFromGroup", params, ("AddUserToGroup", params))
    return {
        "identity": identity.arn,
        "group": group["Arn"],
        "removed": member,
        "changed": member,
        **log.as_record(),
    }


def _put_inline(
    iam: Any, log: ChangeLog, identity: Identity, name: str, document: dict[str, Any]
) -> None:
    kind = "User" if identity.kind == "user" else "Role"
    key = {f"{kind}Name": identity.name, "PolicyName": name}
    previous = _inline_document(iam, identity, name)
    getattr(iam, f"put_{kind.lower()}_policy")(**key, PolicyDocument=json.dumps(document))
    if previous is None:
        undo = (f"Delete{kind}Policy", key)
    else:
        undo = (f"Put{kind}Policy", {**key, "PolicyDocument": json.dumps(previous)})
    log.made(f"Put{kind}Policy", key, undo)


def _inline_document(iam: Any, identity: Identity, name: str) -> Any:
    kind = identity.kind
    try:
        found = getattr(iam, f"get_{kind}_policy")(
            **{f"{kind.capitalize()}Name": identity.name, "PolicyName": name}
        )
    except iam.exceptions.NoSuchEntityException:
        return None
    return found["PolicyDocument"]


def revoke_sessions(iam: Any, identity: Identity, now: datetime) -> dict[str, Any]:
    log = ChangeLog()
    _put_inline(iam, log, identity, REVOKE_POLICY, revoke_older_sessions(now))
    return {
        "identity": identity.arn,
        "revoked_before": now.astimezone(UTC).isoformat(timespec="seconds"),
        "scope": "temporary credentials issued before this time are refused; "
        + (
            "access keys still work: deactivate them too"
            if identity.kind == "user"
            else "new sessions still work"
        ),
        "changed": True,
        **log.as_record(),
    }


def suspend_identity(iam: Any, identity: Identity, now: datetime) -> dict[str, Any]:
    log = ChangeLog()
    if identity.kind == "role":
        _put_inline(iam, log, identity, REVOKE_POLICY, revoke_older_sessions(now))
    else:
        _suspend_user(iam, log, identity)
    already = _inline_document(iam, identity, QUARANTINE_POLICY) is not None
    if not already:
        _put_inline(iam, log, identity, QUARANTINE_POLICY, DENY_ALL)
    return {
        "identity": identity.arn,
        "previous_status": "suspended" if already else "active",
        "status": "suspended",
        "changed": bool(log.changes),
        **log.as_record(),
    }


def _suspend_user(iam: Any, log: ChangeLog, identity: Identity) -> None:
    for key in _keys(iam, identity.name):
        if key["Status"] == "Active":
            _set_key_status(iam, log, identity.name, key["AccessKeyId"], "Inactive", "Active")
    try:
        iam.get_login_profile(UserName=identity.name)
    except iam.exceptions.NoSuchEntityException:
        return
    iam.delete_login_profile(UserName=identity.name)
    log.made("DeleteLoginProfile", {"UserName": identity.name}, None)
    log.notes.append(
        "the console password was removed: restoring console access takes CreateLoginProfile "
        "with a new password and PasswordResetRequired"
    )


def reset_mfa(iam: Any, identity: Identity) -> dict[str, Any]:
    if identity.kind != "user":
        raise AwsError(f"{identity.arn} is a role: roles have no MFA devices")
    log = ChangeLog()
    devices = pages(iam, "list_mfa_devices", "MFADevices", UserName=identity.name)
    for device in devices:
        params = {"UserName": identity.name, "SerialNumber": device["SerialNumber"]}
        iam.deactivate_mfa_device(**params)
        log.made("DeactivateMFADevice", params, None)
    if devices:
        log.notes.append("the owner must enrol a new MFA device; old devices cannot be re-enabled")
    return {
        "identity": identity.arn,
        "factors_removed": [d["SerialNumber"] for d in devices],
        "changed": bool(devices),
        **log.as_record(),
    }
