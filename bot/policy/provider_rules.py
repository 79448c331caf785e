"""Per-provider rules: tools.<name>.providers.<provider> laid over the tool's own rule.

An overlay may change scopes, ttl, approvers, quorum, approval expiry and protected targets;
the mode stays the tool's. A rule for a provider this deployment has not configured is
refused at load, with its line, since it would silently never apply.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from bot.policy.validation import Problem, where

KNOWN_PROVIDERS = ("lab", "aws")
STRATEGIES = {"aws": ("sts", "iam_user")}


def provider_overlays(rule: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """provider → the tool's rule with that provider's overrides laid over it."""
    base = {key: value for key, value in rule.items() if key != "providers"}
    return {
        provider: {**base, **overrides}
        for provider, overrides in (rule.get("providers") or {}).items()
    }


def configured_providers() -> tuple[str, ...]:
    """The providers this process is configured with (SOCBOT_PROVIDERS, else SOCBOT_PROVIDER)."""
    listed = os.environ.get("SOCBOT_PROVIDERS") or os.environ.get("SOCBOT_PROVIDER") or "lab"
    return tuple(n.strip().lower() for n in listed.split(",") if n.strip())


def provider_problems(
    data: Mapping[str, Any], configured: tuple[str, ...] | None = None
) -> Iterator[Problem]:
    on = configured if configured is not None else configured_providers()
    for name, rule in data["tools"].items():
        for provider, overlay in (rule.get("providers") or {}).items():
            yield from _strategy_problems(name, provider, overlay)
            if provider in on:
                continue
            path = ("tools", name, "providers", provider)
            known = "" if provider in KNOWN_PROVIDERS else f" and socbot has no {provider} provider"
            yield Problem(
                path,
                f"{where(path)} is a rule for provider '{provider}', which is not configured "
                f"(SOCBOT_PROVIDERS: {', '.join(on)}){known}; it would never apply",
            )


def _strategy_problems(name: str, provider: str, overlay: Mapping[str, Any]) -> Iterator[Problem]:
    strategy = overlay.get("credential_strategy")
    allowed = STRATEGIES.get(provider, ())
    if strategy is None or strategy in allowed:
        return
    path = ("tools", name, "providers", provider, "credential_strategy")
    choices = ", ".join(allowed) or "none: it has only one way"
    yield Problem(path, f"{where(path)} is '{strategy}'; {provider} strategies: {choices}")
