"""What providers raise. bot.errors re-exports the ProviderError tree into socbot's one error
tree; the AWS provider's own errors are mapped onto it where the bot calls AWS."""

from __future__ import annotations


class ProviderError(Exception):
    """The provider refused or failed an operation; the message says which and why."""


class NotFound(ProviderError):
    """The identity, key, grant or group does not exist at the provider."""


class CredentialRefused(ProviderError):
    """The provider refused the presented credential: unknown, revoked, expired or out of scope."""


class AwsError(Exception):
    """AWS refused or failed an operation; the message says what to do about it."""


class AwsNotFound(AwsError):
    """The user, role, key or group does not exist in the account."""


class AwsCredentialRefused(AwsError):
    """The presented credential was refused: unknown, deleted, expired, revoked or out of scope."""


class AwsUnsupported(AwsError):
    """The operation has no AWS IAM counterpart (OAuth grants, for one)."""
