"""ProviderRouter: one Provider in front of several, sending each call to the target's owner.

The model sees one tool per verb; the router picks the provider from the target. A target no
configured provider owns is refused with that reason, as is one two providers claim equally.
Errors of the AWS provider become socbot errors here, at the boundary.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from bot.errors import CredentialError, NotFound, ProviderError
from bot.providers.naming import provider_alias
from bot.providers.ownership import NONE, Claim
from tools.base import PresentedCredential, Provider, TargetInfo
from tools.errors import AwsCredentialRefused, AwsError, AwsNotFound
from tools.providers.aws.arns import parse_arn
from tools.providers.call_scope import CallScope

T = TypeVar("T")
_RESOLVED_KEPT = 2048


@contextmanager
def socbot_errors() -> Iterator[None]:
    try:
        yield
    except AwsNotFound as exc:
        raise NotFound(str(exc)) from exc
    except AwsCredentialRefused as exc:
        raise CredentialError(str(exc)) from exc
    except AwsError as exc:
        raise ProviderError(str(exc)) from exc


class ProviderRouter:
    name = "router"

    def __init__(self, providers: Mapping[str, Provider], claims: Mapping[str, Claim]) -> None:
        if not providers:
            raise ProviderError("no provider is configured")
        self.providers = dict(providers)
        self._claims = dict(claims)
        self._lock = threading.Lock()
        self._resolved: OrderedDict[tuple[str, str], TargetInfo] = OrderedDict()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.providers)

    def owner(self, ref: str) -> str:
        """The name of the provider that owns `ref`, or ProviderError saying why there is none."""
        if len(self.providers) == 1:
            return next(iter(self.providers))
        ranks = {name: self._claims[name](ref) for name in self.providers}
        best = max(ranks.values())
        owners = [name for name, rank in ranks.items() if rank == best]
        if best == NONE:
            raise NotFound(
                f"no configured provider ({', '.join(self.providers)}) owns {ref!r}: "
                "give an id, ARN or access key id one of them holds"
            )
        if len(owners) > 1:
            raise ProviderError(
                f"{ref!r} could belong to {' or '.join(owners)}: give an ARN, an access key id "
                "or the provider's own id"
            )
        return owners[0]

    def call_scope(self, tool: str, ref: str | None) -> CallScope | None:
        """What a credential for `tool` on `ref` is for: its provider and the target's names."""
        if ref is None:
            return CallScope(next(iter(self.providers)), tool)
        provider = self.owner(ref)
        if tool == "resolve_target":
            return CallScope(provider, tool)
        with self._lock:
            info = self._resolved.get((provider, ref.strip().lower()))
        names = [ref.strip()] if parse_arn(ref) else []
        if info is not None and info.identity_id:
            names = [info.identity_id]
        return CallScope(provider, tool, tuple(names))

    def _route(self, ref: str, call: Callable[[Provider], T]) -> T:
        provider = self.providers[self.owner(ref)]
        with socbot_errors():
            return call(provider)

    def resolve_target(self, cred: PresentedCredential, ref: str) -> TargetInfo:
        name = self.owner(ref)
        with socbot_errors():
            info = self.providers[name].resolve_target(cred, ref)
        with self._lock:
            self._resolved[(name, ref.strip().lower())] = info
            while len(self._resolved) > _RESOLVED_KEPT:
                self._resolved.popitem(last=False)
        if len(self.providers) == 1:
            return info
        aliases = info.aliases | {provider_alias(name)}
        return TargetInfo(info.ref, info.kind, info.identity_id, aliases)

    def get_identity(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        return self._route(identity, lambda p: p.get_identity(cred, identity))

    def list_sessions(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        return self._route(identity, lambda p: p.list_sessions(cred, identity))

    def list_access_keys(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        return self._route(identity, lambda p: p.list_access_keys(cred, identity))

    def list_oauth_grants(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        return self._route(identity, lambda p: p.list_oauth_grants(cred, identity))

    def recent_auth_events(
        self, cred: PresentedCredential, identity: str, hours: int, limit: int
    ) -> dict[str, Any]:
        return self._route(identity, lambda p: p.recent_auth_events(cred, identity, hours, limit))

    def assess_blast_radius(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        return self._route(identity, lambda p: p.assess_blast_radius(cred, identity))

    def revoke_sessions(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        return self._route(identity, lambda p: p.revoke_sessions(cred, identity))

    def suspend_identity(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        return self._route(identity, lambda p: p.suspend_identity(cred, identity))

    def deactivate_access_key(self, cred: PresentedCredential, key_id: str) -> dict[str, Any]:
        return self._route(key_id, lambda p: p.deactivate_access_key(cred, key_id))

    def rotate_access_key(self, cred: PresentedCredential, key_id: str) -> dict[str, Any]:
        return self._route(key_id, lambda p: p.rotate_access_key(cred, key_id))

    def revoke_oauth_grant(self, cred: PresentedCredential, grant_id: str) -> dict[str, Any]:
        return self._route(grant_id, lambda p: p.revoke_oauth_grant(cred, grant_id))

    def reset_mfa(self, cred: PresentedCredential, identity: str) -> dict[str, Any]:
        return self._route(identity, lambda p: p.reset_mfa(cred, identity))

    def remove_from_group(
        self, cred: PresentedCredential, identity: str, group: str
    ) -> dict[str, Any]:
        return self._route(identity, lambda p: p.remove_from_group(cred, identity, group))
