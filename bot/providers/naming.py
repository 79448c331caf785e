"""How a target's provider is written among its aliases: "provider:<name>".

The router adds it when more than one provider is configured, so the provider is stored with
every parked request, bound into its action hash and shown on its card.
"""

from __future__ import annotations

from collections.abc import Iterable

PREFIX = "provider:"


def provider_alias(name: str) -> str:
    return PREFIX + name


def provider_of(aliases: Iterable[str]) -> str | None:
    found = sorted(a[len(PREFIX) :] for a in aliases if a.startswith(PREFIX))
    return found[0] if found else None
