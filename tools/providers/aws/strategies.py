"""The aws credential backend: each credential minted by the strategy its tool's policy rule
names (the call scope carries it), else the configured default; revoked by the one that
minted it, or, after a restart, by every strategy (each ignores ids it never minted)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tools.errors import AwsError
from tools.providers.call_scope import current_call


class AwsStrategyBackend:
    name = "aws"

    def __init__(self, strategies: Mapping[str, Any], default: str) -> None:
        if default not in strategies:
            raise AwsError(f"the default aws strategy {default!r} is not set up")
        self.strategies = dict(strategies)
        self._default = default
        self._lock = threading.Lock()
        self._minted_by: dict[str, str] = {}

    def mint(
        self, credential_id: str, scopes: frozenset[str], task_id: str, expires_at: datetime
    ) -> str:
        scope = current_call()
        name = (scope.strategy if scope else None) or self._default
        backend = self.strategies.get(name)
        if backend is None:
            raise AwsError(
                f"the policy asks for aws strategy {name!r}, which is not set up here "
                f"(set up: {', '.join(sorted(self.strategies))}; sts needs SOCBOT_AWS_ROLE_ARN)"
            )
        with self._lock:
            self._minted_by[credential_id] = name
        return str(backend.mint(credential_id, scopes, task_id, expires_at))

    def _owners(self, credential_id: str) -> list[Any]:
        with self._lock:
            name = self._minted_by.get(credential_id)
        return [self.strategies[name]] if name else list(self.strategies.values())

    def revoke(self, credential_id: str) -> None:
        for backend in self._owners(credential_id):
            backend.revoke(credential_id)

    def is_accepted(self, credential_id: str) -> bool:
        accepted = any(b.is_accepted(credential_id) for b in self._owners(credential_id))
        if not accepted:
            with self._lock:
                self._minted_by.pop(credential_id, None)
        return accepted
