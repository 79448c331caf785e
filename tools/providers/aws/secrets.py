"""Where the provider's own secrets come from. Environment variables by default; a secrets
manager (OpenBao KV) can stand in behind the same two-method protocol."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


class SecretSource(Protocol):
    """Named secrets such as "aws/access_key_id". None when the source does not hold one."""

    @property
    def name(self) -> str: ...

    def get(self, key: str) -> str | None: ...


def env_name(key: str) -> str:
    """ "aws/access_key_id" → "SOCBOT_AWS_ACCESS_KEY_ID"."""
    return "SOCBOT_" + key.replace("/", "_").replace("-", "_").upper()


@dataclass(frozen=True)
class EnvSecretSource:
    """Secrets from environment variables named by env_name()."""

    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    name: str = "env"

    def get(self, key: str) -> str | None:
        value = self.environ.get(env_name(key))
        return value or None


@dataclass(frozen=True)
class StaticSecretSource:
    """Secrets held in memory, for a demo that creates its own account, and for tests."""

    values: Mapping[str, str] = field(repr=False)
    name: str = "static"

    def get(self, key: str) -> str | None:
        return self.values.get(key)
