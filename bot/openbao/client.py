"""One authenticated OpenBao client from settings: a token, or an AppRole login.

Errors name the address and the auth method, never a token or secret id.
"""

from __future__ import annotations

from typing import Any

from bot.config import Settings
from bot.errors import ConfigError


def connect(settings: Settings) -> Any:
    """An hvac.Client logged in to SOCBOT_OPENBAO_ADDR, checked with a lookup of itself."""
    try:
        import hvac
    except ImportError as exc:  # the vault extra is not installed
        raise ConfigError("OpenBao needs the vault extra: pip install 'socbot[vault]'") from exc
    addr = settings.openbao_addr
    if not addr:
        raise ConfigError("SOCBOT_OPENBAO_ADDR is not set, so OpenBao cannot be used")
    from bot.openbao.relogin import ReloginAdapter

    client = hvac.Client(url=addr, token="", timeout=10, adapter=ReloginAdapter)
    method = _login(client, settings)
    if method == "AppRole login":
        client.adapter.relogin = lambda: _login(client, settings)
    try:
        client.auth.token.lookup_self()
    except Exception as exc:
        raise ConfigError(
            f"OpenBao at {addr} refused socbot's {method} ({type(exc).__name__}): "
            "check the token or AppRole and the socbot-broker policy (docs/openbao.md)"
        ) from None
    return client


def _login(client: Any, settings: Settings) -> str:
    if settings.openbao_role_id and settings.openbao_secret_id is not None:
        try:
            client.auth.approle.login(
                role_id=settings.openbao_role_id,
                secret_id=settings.openbao_secret_id.get_secret_value(),
                mount_point=settings.openbao_approle_mount,
            )
        except Exception as exc:
            raise ConfigError(
                f"AppRole login to OpenBao at {settings.openbao_addr} failed "
                f"({type(exc).__name__}): check SOCBOT_OPENBAO_ROLE_ID and SECRET_ID"
            ) from None
        return "AppRole login"
    if settings.openbao_token is not None and settings.openbao_token.get_secret_value():
        client.token = settings.openbao_token.get_secret_value()
        return "token"
    raise ConfigError(
        "OpenBao needs credentials: set SOCBOT_OPENBAO_TOKEN, or SOCBOT_OPENBAO_ROLE_ID and "
        "SOCBOT_OPENBAO_SECRET_ID"
    )
