"""Which ARNs a per-call credential is scoped to, from the call scope the executor set."""

from __future__ import annotations

from tools.providers.aws.arns import parse_arn
from tools.providers.aws.config import AwsConfig
from tools.providers.aws.iam_actions import Scoping
from tools.providers.call_scope import current_call


def default_account(config: AwsConfig) -> str:
    return next(iter(sorted(config.accounts))) if len(config.accounts) == 1 else "*"


def current_scoping(config: AwsConfig) -> Scoping:
    """The targets named by the call scope; without one, any user or role in the account
    (resolving a name is a read across the account)."""
    scope = current_call()
    arns = [a for a in (scope.targets if scope else ()) if parse_arn(a) is not None]
    if arns:
        parsed = [parse_arn(a) for a in arns]
        accounts = {p.account for p in parsed if p is not None}
        account = accounts.pop() if len(accounts) == 1 else default_account(config)
        return Scoping(account, tuple(sorted(set(arns))), config.partition)
    account = default_account(config)
    prefix = f"arn:{config.partition}:iam::{account}:"
    return Scoping(account, (f"{prefix}user/*", f"{prefix}role/*"), config.partition)
