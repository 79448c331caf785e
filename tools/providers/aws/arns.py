"""Reading the names a target can be given in AWS: ARNs, access key ids and bare names."""

from __future__ import annotations

import re
from dataclasses import dataclass

ACCESS_KEY_ID = re.compile(r"^(AKIA|ASIA)[A-Z0-9]{12,124}$")
ARN = re.compile(
    r"^arn:(?P<partition>aws[\w-]*):(?P<service>iam|sts)::(?P<account>\d{12}):"
    r"(?P<kind>user|role|group|assumed-role|policy)/(?P<path_and_name>.+)$"
)
IAM_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")


@dataclass(frozen=True)
class ParsedArn:
    partition: str
    account: str
    kind: str  # user | role | group | assumed-role | policy
    name: str
    path: str

    @property
    def arn(self) -> str:
        if self.kind == "assumed-role":
            return f"arn:{self.partition}:sts::{self.account}:assumed-role/{self.name}/{self.path}"
        return f"arn:{self.partition}:iam::{self.account}:{self.kind}{self.path}{self.name}"


def parse_arn(ref: str) -> ParsedArn | None:
    """An IAM or STS principal ARN, or None if `ref` is not one."""
    match = ARN.match(ref.strip())
    if match is None:
        return None
    kind, rest = match["kind"], match["path_and_name"]
    if kind == "assumed-role":
        role, _, session = rest.partition("/")
        return ParsedArn(match["partition"], match["account"], kind, role, session)
    path, _, name = rest.rpartition("/")
    return ParsedArn(match["partition"], match["account"], kind, name, f"/{path}/" if path else "/")


def is_access_key_id(ref: str) -> bool:
    return bool(ACCESS_KEY_ID.match(ref.strip()))


def is_iam_name(ref: str) -> bool:
    return bool(IAM_NAME.match(ref.strip()))


def account_of(ref: str) -> str | None:
    parsed = parse_arn(ref)
    return parsed.account if parsed else None


def user_arn(account: str, name: str, path: str = "/", partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:user{path}{name}"


def role_arn(account: str, name: str, path: str = "/", partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:role{path}{name}"


def group_arn(account: str, name: str, path: str = "/", partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:group{path}{name}"
