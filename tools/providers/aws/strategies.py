"""The aws credential backend: each credential minted by the strategy its tool's policy rule
names (the call scope carries it), else the configured default; revoked by the one that
minted it, or, after a restart, by every strategy (each ignores ids it never minted)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools.errors import AwsError
from tools.providers.call_scope import CallScope
from tools.providers.dispatch import DispatchingBackend


class AwsStrategyBackend(DispatchingBackend):
    name = "aws"

    def __init__(self, strategies: Mapping[str, Any], default: str) -> None:
        if default not in strategies:
            raise AwsError(f"the default aws strategy {default!r} is not set up")
        super().__init__(strategies, default)

    @property
    def strategies(self) -> dict[str, Any]:
        return self.backends

    def pick(self, scope: CallScope | None) -> str:
        return (scope.strategy if scope else None) or self._default

    def unknown(self, key: str) -> Exception:
        return AwsError(
            f"the policy asks for aws strategy {key!r}, which is not set up here "
            f"(set up: {', '.join(sorted(self.backends))}; sts needs SOCBOT_AWS_ROLE_ARN)"
        )
