"""A CredentialBackend in front of one backend per provider: each credential is minted by the
backend of the provider the call is for (the call scope says which), and revoked there."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime

from bot.errors import CredentialError
from bot.providers.router import socbot_errors
from bot.tasks.backends import CredentialBackend
from tools.providers.call_scope import current_call


class RoutingCredentialBackend:
    name = "routed"

    def __init__(self, backends: Mapping[str, CredentialBackend], default: str) -> None:
        self.backends = dict(backends)
        self._default = default
        self._lock = threading.Lock()
        self._minted_by: dict[str, str] = {}

    def mint(
        self, credential_id: str, scopes: frozenset[str], task_id: str, expires_at: datetime
    ) -> str:
        scope = current_call()
        provider = scope.provider if scope is not None else self._default
        backend = self.backends.get(provider)
        if backend is None:
            raise CredentialError(f"no credential backend for provider {provider!r}")
        with self._lock:
            self._minted_by[credential_id] = provider
        with socbot_errors():
            return backend.mint(credential_id, scopes, task_id, expires_at)

    def _owners(self, credential_id: str) -> list[CredentialBackend]:
        """The backend that minted it; every backend when another process did (each treats
        an id it never minted as already gone, so revoking there is harmless)."""
        with self._lock:
            provider = self._minted_by.get(credential_id)
        return [self.backends[provider]] if provider else list(self.backends.values())

    def revoke(self, credential_id: str) -> None:
        with socbot_errors():
            for backend in self._owners(credential_id):
                backend.revoke(credential_id)

    def is_accepted(self, credential_id: str) -> bool:
        with socbot_errors():
            accepted = any(b.is_accepted(credential_id) for b in self._owners(credential_id))
        if not accepted:
            with self._lock:
                self._minted_by.pop(credential_id, None)
        return accepted
