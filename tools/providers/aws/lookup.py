"""Finding a user, role, group or access key's owner in the account from any of its names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from tools.errors import AwsError, AwsNotFound
from tools.providers.aws.arns import is_access_key_id, is_iam_name, parse_arn
from tools.providers.aws.config import AwsConfig
from tools.providers.aws.session import NOT_FOUND_CODES, error_code


@dataclass(frozen=True)
class Identity:
    kind: str  # user | role
    name: str
    arn: str
    account: str
    record: dict[str, Any]

    @property
    def target_kind(self) -> str:
        return "person" if self.kind == "user" else "service_account"


def check_account(config: AwsConfig, account: str, ref: str) -> None:
    if not config.allows_account(account):
        raise AwsError(
            f"{ref!r} is in account {account}, which this deployment does not manage "
            f"(allowed: {', '.join(sorted(config.accounts))})"
        )


def _identity(kind: str, record: dict[str, Any]) -> Identity:
    arn = str(record["Arn"])
    parsed = parse_arn(arn)
    account = parsed.account if parsed else ""
    return Identity(kind, str(record[f"{kind.capitalize()}Name"]), arn, account, record)


def _maybe(call: Any, **params: Any) -> dict[str, Any] | None:
    try:
        return dict(call(**params))
    except ClientError as exc:
        if error_code(exc) in NOT_FOUND_CODES:
            return None
        raise


def find_user(iam: Any, name: str) -> Identity | None:
    found = _maybe(iam.get_user, UserName=name)
    return _identity("user", found["User"]) if found else None


def find_role(iam: Any, name: str) -> Identity | None:
    found = _maybe(iam.get_role, RoleName=name)
    return _identity("role", found["Role"]) if found else None


def key_owner(iam: Any, key_id: str) -> str:
    """The user name owning an access key. AWS answers this for any key in the account."""
    found = _maybe(iam.get_access_key_last_used, AccessKeyId=key_id.strip())
    name = (found or {}).get("UserName")
    if not name:
        raise AwsNotFound(f"no access key {key_id!r} in this account: list_access_keys shows ids")
    return str(name)


def find_identity(iam: Any, config: AwsConfig, ref: str) -> Identity:
    """A user or role named by ARN, access key id or bare name; errors say what to give instead."""
    ref = ref.strip()
    parsed = parse_arn(ref)
    if parsed is not None:
        check_account(config, parsed.account, ref)
        if parsed.kind == "user":
            found = find_user(iam, parsed.name)
        elif parsed.kind in ("role", "assumed-role"):
            found = find_role(iam, parsed.name)
        else:
            raise AwsError(f"{ref!r} is a {parsed.kind}, not a user or role")
        if found is None:
            raise AwsNotFound(f"no {parsed.kind} {parsed.name!r} in account {parsed.account}")
        return found
    if is_access_key_id(ref):
        user = find_user(iam, key_owner(iam, ref))
        if user is None:
            raise AwsNotFound(f"the owner of access key {ref!r} no longer exists")
        return user
    return _by_name(iam, config, ref)


def _by_name(iam: Any, config: AwsConfig, ref: str) -> Identity:
    if not is_iam_name(ref):
        raise AwsNotFound(f"{ref!r} is not an IAM name, ARN or access key id")
    user, role = find_user(iam, ref), find_role(iam, ref)
    if user is not None and role is not None:
        raise AwsError(f"{ref!r} names both a user and a role: give its ARN")
    found = user or role
    if found is None:
        raise AwsNotFound(f"no user or role called {ref!r}: give an ARN or access key id")
    check_account(config, found.account, ref)
    return found


def find_group(iam: Any, ref: str) -> dict[str, Any]:
    parsed = parse_arn(ref)
    name = parsed.name if parsed is not None and parsed.kind == "group" else ref.strip()
    found = _maybe(iam.get_group, GroupName=name)
    if found is None:
        raise AwsNotFound(f"no group {name!r}: get_identity lists an identity's groups")
    return dict(found["Group"])
