"""A credential backend in front of several: each credential is minted by the one the call
scope picks, then revoked and checked there; after a restart (an id this process never
minted), by every one, each treating an id it never minted as already gone."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tools.providers.call_scope import CallScope, current_call


class DispatchingBackend:
    """Subclasses say which inner backend a call scope picks, and what to raise for none."""

    name = "dispatch"

    def __init__(self, backends: Mapping[str, Any], default: str) -> None:
        self.backends = dict(backends)
        self._default = default
        self._lock = threading.Lock()
        self._minted_by: dict[str, str] = {}

    def pick(self, scope: CallScope | None) -> str:
        raise NotImplementedError

    def unknown(self, key: str) -> Exception:
        raise NotImplementedError

    def mint(
        self, credential_id: str, scopes: frozenset[str], task_id: str, expires_at: datetime
    ) -> str:
        key = self.pick(current_call())
        backend = self.backends.get(key)
        if backend is None:
            raise self.unknown(key)
        with self._lock:
            self._minted_by[credential_id] = key
        return str(backend.mint(credential_id, scopes, task_id, expires_at))

    def _owners(self, credential_id: str) -> list[Any]:
        with self._lock:
            key = self._minted_by.get(credential_id)
        return [self.backends[key]] if key else list(self.backends.values())

    def revoke(self, credential_id: str) -> None:
        for backend in self._owners(credential_id):
            backend.revoke(credential_id)

    def is_accepted(self, credential_id: str) -> bool:
        accepted = any(b.is_accepted(credential_id) for b in self._owners(credential_id))
        if not accepted:
            with self._lock:
                self._minted_by.pop(credential_id, None)
        return accepted
