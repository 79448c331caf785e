"""Provider settings: which providers are on, and each one's own settings, from the environment.

SOCBOT_PROVIDERS=lab,aws turns providers on, in the order ties are reported. AWS reads
SOCBOT_AWS_ENDPOINT_URL (a local API in tests), SOCBOT_AWS_REGION, SOCBOT_AWS_ROLE_ARN,
SOCBOT_AWS_ACCOUNTS (comma-separated allowlist) and SOCBOT_AWS_STRATEGY (sts | iam_user).
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError
from tools.providers.aws.config import AwsConfig

KNOWN_PROVIDERS = ("lab", "aws")


class AwsSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SOCBOT_AWS_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    endpoint_url: str | None = None
    region: str = "us-east-1"
    role_arn: str | None = None
    accounts: str = Field(default="", description="Comma-separated account ids socbot manages.")
    strategy: str = "sts"
    user_path: str = "/socbot/"
    propagation_seconds: float = Field(
        default=10.0, ge=0, description="How long to wait for IAM changes to take effect."
    )

    def config(self) -> AwsConfig:
        accounts = frozenset(a.strip() for a in self.accounts.split(",") if a.strip())
        bad = sorted(a for a in accounts if not (a.isdigit() and len(a) == 12))
        if bad:
            raise ConfigError(f"SOCBOT_AWS_ACCOUNTS holds {', '.join(bad)}: give 12-digit ids")
        try:
            return AwsConfig(
                region=self.region,
                endpoint_url=self.endpoint_url or None,
                accounts=accounts,
                role_arn=self.role_arn or None,
                strategy=self.strategy,
                user_path=self.user_path,
            )
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc


class ProviderSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    providers: str = Field(default="", validation_alias="SOCBOT_PROVIDERS")


def configured_providers(listed: str, fallback: str) -> tuple[str, ...]:
    """The providers named in SOCBOT_PROVIDERS, or the single SOCBOT_PROVIDER when unset."""
    names = tuple(dict.fromkeys(n.strip().lower() for n in (listed or fallback).split(",")))
    names = tuple(n for n in names if n)
    unknown = [n for n in names if n not in KNOWN_PROVIDERS]
    if unknown or not names:
        raise ConfigError(
            f"unknown provider {', '.join(unknown) or '(none)'} in SOCBOT_PROVIDERS: "
            f"choose from {', '.join(KNOWN_PROVIDERS)}"
        )
    return names
