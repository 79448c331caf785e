"""What the AWS provider raises. The bot maps these onto its own error tree at the boundary."""

from __future__ import annotations


class AwsError(Exception):
    """AWS refused or failed an operation; the message says what to do about it."""


class AwsNotFound(AwsError):
    """The user, role, key or group does not exist in the account."""


class AwsCredentialRefused(AwsError):
    """The presented credential was refused: unknown, deleted, expired, revoked or out of scope."""


class AwsUnsupported(AwsError):
    """The operation has no AWS IAM counterpart (OAuth grants, for one)."""
