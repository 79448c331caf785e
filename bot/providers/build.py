"""Builds the configured providers, the router in front of them and their credential backends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.errors import ConfigError
from bot.providers.backend import RoutingCredentialBackend
from bot.providers.ownership import Claim, aws_claim, lab_claim
from bot.providers.router import ProviderRouter
from bot.providers.settings import AwsSettings
from bot.tasks.backends import CredentialBackend, LabCredentialBackend
from tools.base import Provider
from tools.errors import AwsError
from tools.providers.aws.config import AwsConfig
from tools.providers.aws.credentials import AwsIamUserBackend, AwsStsBackend
from tools.providers.aws.provider import AwsProvider
from tools.providers.aws.secrets import EnvSecretSource, SecretSource
from tools.providers.aws.strategies import AwsStrategyBackend
from tools.providers.lab.provider import LabProvider


@dataclass(frozen=True)
class ProviderSet:
    router: ProviderRouter
    backend: CredentialBackend
    backends: dict[str, CredentialBackend]


def aws_backend(
    config: AwsConfig, secrets: SecretSource, propagation_seconds: float
) -> CredentialBackend:
    """Both strategies where they can work (sts needs the role), the configured one default."""
    strategies: dict[str, CredentialBackend] = {
        "iam_user": AwsIamUserBackend(config, secrets, propagation_seconds=propagation_seconds)
    }
    if config.role_arn:
        try:
            strategies["sts"] = AwsStsBackend(
                config, secrets, propagation_seconds=propagation_seconds
            )
        except AwsError as exc:
            raise ConfigError(str(exc)) from exc
    try:
        return AwsStrategyBackend(strategies, config.strategy)
    except AwsError as exc:
        raise ConfigError(
            f"{exc}: set SOCBOT_AWS_ROLE_ARN or SOCBOT_AWS_STRATEGY=iam_user"
        ) from exc


def build_providers(
    names: tuple[str, ...],
    engine: Engine,
    lab: Callable[[], LabProvider],
    *,
    aws_settings: AwsSettings | None = None,
    secrets: SecretSource | None = None,
    lab_backend: Callable[[], CredentialBackend] | None = None,
) -> ProviderSet:
    providers: dict[str, Provider] = {}
    claims: dict[str, Claim] = {}
    backends: dict[str, CredentialBackend] = {}
    for name in names:
        if name == "lab":
            providers[name], claims[name] = lab(), lab_claim(engine)
            backends[name] = lab_backend() if lab_backend else LabCredentialBackend(lab())
        elif name == "aws":
            settings = aws_settings or AwsSettings()
            config = settings.config()
            providers[name], claims[name] = AwsProvider(config), aws_claim(config)
            backends[name] = aws_backend(
                config, secrets or EnvSecretSource(), settings.propagation_seconds
            )
        else:
            raise ConfigError(f"provider {name!r} is not built in")
    router = ProviderRouter(providers, claims)
    # The lab alone keeps its own backend, so its credential rows read as before; anything
    # with AWS goes through the router's backend, which also turns AWS errors into socbot's.
    lab_only = names == ("lab",)
    backend = backends["lab"] if lab_only else RoutingCredentialBackend(backends, names[0])
    return ProviderSet(router, backend, backends)
