"""TargetInfo for AWS: every spelling a protected-target rule may use for the target."""

from __future__ import annotations

from typing import Any

from tools.base import TargetInfo
from tools.providers.aws.arns import is_access_key_id, parse_arn
from tools.providers.aws.config import AwsConfig
from tools.providers.aws.lookup import Identity, check_account, find_group, find_identity


def identity_aliases(identity: Identity) -> frozenset[str]:
    names = {identity.arn, identity.name, f"{identity.kind}/{identity.name}"}
    return frozenset(name.lower() for name in names)


def target_info(iam: Any, config: AwsConfig, ref: str) -> TargetInfo:
    ref = ref.strip()
    parsed = parse_arn(ref)
    if parsed is not None and parsed.kind == "group":
        check_account(config, parsed.account, ref)
        group = find_group(iam, ref)
        aliases = frozenset({str(group["Arn"]).lower(), str(group["GroupName"]).lower()})
        return TargetInfo(ref, "group", None, aliases)
    identity = find_identity(iam, config, ref)
    aliases = identity_aliases(identity)
    if is_access_key_id(ref):
        return TargetInfo(ref, "access_key", identity.arn, aliases | {ref.lower()})
    return TargetInfo(ref, identity.target_kind, identity.arn, aliases)
