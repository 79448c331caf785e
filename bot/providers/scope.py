"""The call scope of a tool call, from whichever provider the executor holds."""

from __future__ import annotations

from tools.base import Provider
from tools.providers.call_scope import CallScope


def call_scope_for(provider: Provider, tool: str, target: str | None) -> CallScope | None:
    """The router's scope for the call; None for a single provider that needs none. A target
    no provider owns gets None here and is refused when the provider is called."""
    scoping = getattr(provider, "call_scope", None)
    if scoping is None:
        return None
    try:
        scope = scoping(tool, target)
    except Exception:
        return None
    return scope if isinstance(scope, CallScope) else None


def provider_for(provider: Provider, tool: str, target: str | None) -> str | None:
    """The name of the provider a call goes to, when the executor holds a router."""
    scope = call_scope_for(provider, tool, target)
    names = getattr(provider, "names", ())
    return scope.provider if scope is not None and len(names) > 1 else None
