"""A CredentialBackend in front of one backend per provider: each credential is minted by the
backend of the provider the call is for (the call scope says which), and revoked there."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.errors import CredentialError
from bot.providers.router import socbot_errors
from bot.tasks.backends import CredentialBackend
from tools.providers.call_scope import CallScope
from tools.providers.dispatch import DispatchingBackend


class RoutingCredentialBackend(DispatchingBackend):
    name = "routed"

    def __init__(self, backends: Mapping[str, CredentialBackend], default: str) -> None:
        super().__init__(backends, default)

    def pick(self, scope: CallScope | None) -> str:
        return scope.provider if scope is not None else self._default

    def unknown(self, key: str) -> Exception:
        return CredentialError(f"no credential backend for provider {key!r}")

    def mint(
        self, credential_id: str, scopes: frozenset[str], task_id: str, expires_at: datetime
    ) -> str:
        with socbot_errors():
            return super().mint(credential_id, scopes, task_id, expires_at)

    def revoke(self, credential_id: str) -> None:
        with socbot_errors():
            super().revoke(credential_id)

    def is_accepted(self, credential_id: str) -> bool:
        with socbot_errors():
            return super().is_accepted(credential_id)
