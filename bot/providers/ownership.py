"""Which provider owns a target. Each provider states how sure it is, and the surest wins.

KNOWN: the provider looked it up and has it (the lab's own database).
SHAPE: the name has the provider's form (an ARN in an allowed account, an AKIA/ASIA key id).
MAYBE: a bare name the provider could hold (an IAM user or role name).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine

from bot.db import session_scope
from bot.errors import ProviderError
from tools.providers.aws.arns import is_access_key_id, is_iam_name, parse_arn
from tools.providers.aws.config import AwsConfig
from tools.providers.lab.lookup import maybe_group, maybe_identity, owned_target

NONE, MAYBE, SHAPE, KNOWN = 0, 1, 2, 3

Claim = Callable[[str], int]


def lab_claim(engine: Engine) -> Claim:
    def claim(ref: str) -> int:
        try:
            with session_scope(engine) as session:
                found: Any = (
                    maybe_identity(session, ref)
                    or owned_target(session, ref)
                    or maybe_group(session, ref)
                )
        except ProviderError:  # several lab rows share the name: the lab still owns it
            return KNOWN
        return KNOWN if found else NONE

    return claim


def aws_claim(config: AwsConfig) -> Claim:
    def claim(ref: str) -> int:
        parsed = parse_arn(ref)
        if parsed is not None:
            return SHAPE if config.allows_account(parsed.account) else NONE
        if is_access_key_id(ref):
            return SHAPE
        return MAYBE if is_iam_name(ref) else NONE

    return claim
