"""Which CredentialBackend a deployment uses: SOCBOT_CREDENTIAL_BACKEND.

`lab` (the default): the provider checks its own credentials. `openbao`: the same, each
credential also held as an OpenBao lease token (bot.openbao.leases).
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.errors import ConfigError
from bot.tasks.backends import CredentialBackend, LabCredentialBackend, LabCredentialStore

CREDENTIAL_BACKENDS = ("lab", "openbao")


def build_credential_backend(
    settings: Settings, provider: LabCredentialStore, engine: Engine
) -> CredentialBackend:
    choice = settings.credential_backend
    if choice not in CREDENTIAL_BACKENDS:
        raise ConfigError(
            f"credential backend {choice!r} is not available; "
            f"choose one of {', '.join(CREDENTIAL_BACKENDS)}"
        )
    backend = LabCredentialBackend(provider)
    if choice == "lab":
        return backend
    from bot.openbao.client import connect
    from bot.openbao.leases import OpenBaoLeaseLedger

    return OpenBaoLeaseLedger(
        backend, connect(settings), engine, token_role=settings.openbao_token_role
    )
