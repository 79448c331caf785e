"""Where providers' own secrets come from: the environment by default, OpenBao KV v2 when
SOCBOT_OPENBAO_KV_PATH is set.

A SecretSource answers one question, `get(name)`, with a SecretStr (masked in repr and logs)
or None. The KV source reads the whole secret at the path once and keeps it for
`cache_seconds`, so a rotated value is picked up without a restart.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from pydantic import SecretStr

from bot.config import Settings
from bot.errors import ConfigError
from bot.redaction import MIN_SECRET_LENGTH, Redactor


class SecretSource(Protocol):
    name: str

    def get(self, key: str) -> SecretStr | None: ...


class EnvSecretSource:
    name = "environment"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ if environ is not None else os.environ

    def get(self, key: str) -> SecretStr | None:
        value = self._environ.get(key)
        return SecretStr(value) if value else None


class OpenBaoKVSecretSource:
    """Keys of one KV v2 secret, e.g. mount `secret`, path `socbot/aws`."""

    name = "openbao"

    def __init__(
        self,
        client: Any,
        *,
        mount: str,
        path: str,
        cache_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._mount = mount
        self._path = path
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._values: dict[str, SecretStr] | None = None
        self._read_at = 0.0

    def get(self, key: str) -> SecretStr | None:
        return self._current().get(key)

    def _current(self) -> dict[str, SecretStr]:
        now = self._clock()
        if self._values is None or now - self._read_at >= self._cache_seconds:
            self._values = {k: SecretStr(str(v)) for k, v in self._read().items()}
            self._read_at = now
        return self._values

    def _read(self) -> dict[str, Any]:
        where = f"{self._mount}/{self._path}"
        try:
            answer = self._client.secrets.kv.v2.read_secret_version(
                path=self._path, mount_point=self._mount, raise_on_deleted_version=True
            )
        except Exception as exc:
            raise ConfigError(
                f"could not read secrets from OpenBao KV {where}: {type(exc).__name__} "
                "(check the path and that socbot-broker may read it)"
            ) from None
        return dict(answer["data"]["data"])


class RedactingSecretSource:
    """Registers every value it hands out with the redactor, so a provider's own secret is
    masked wherever it might later appear (a tool result, an error, a log line)."""

    def __init__(self, inner: SecretSource, redactor: Redactor) -> None:
        self.name = inner.name
        self._inner = inner
        self._redactor = redactor

    def get(self, key: str) -> SecretStr | None:
        value = self._inner.get(key)
        if value is not None and len(value.get_secret_value()) >= MIN_SECRET_LENGTH:
            self._redactor.add_secret(value.get_secret_value(), "provider-secret")
        return value


def build_secret_source(settings: Settings, redactor: Redactor) -> SecretSource:
    """OpenBao KV v2 when SOCBOT_OPENBAO_KV_PATH is set; the environment otherwise."""
    if not settings.openbao_kv_path:
        return RedactingSecretSource(EnvSecretSource(), redactor)
    from bot.openbao.client import connect

    kv = OpenBaoKVSecretSource(
        connect(settings), mount=settings.openbao_kv_mount, path=settings.openbao_kv_path
    )
    return RedactingSecretSource(kv, redactor)
