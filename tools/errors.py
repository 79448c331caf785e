"""What providers raise. bot.errors re-exports these into socbot's one error tree."""

from __future__ import annotations


class ProviderError(Exception):
    """The provider refused or failed an operation; the message says which and why."""


class NotFound(ProviderError):
    """The identity, key, grant or group does not exist at the provider."""


class CredentialRefused(ProviderError):
    """The provider refused the presented credential: unknown, revoked, expired or out of scope."""
