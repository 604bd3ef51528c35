"""Settings every service reads from the environment, read once per process."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def sqlalchemy_url(url: str) -> str:
    """Operators paste plain postgres:// URLs; the services speak asyncpg."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    return url


class Settings(BaseSettings):
    """One settings object for all services; each reads only what it needs.

    Every field is documented in the README's configuration table.
    """

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        default="development", alias="RECON_ENV"
    )
    database_url: str = Field(alias="DATABASE_URL")
    nats_url: str = Field(alias="NATS_URL")
    admin_token: SecretStr = Field(alias="RECON_ADMIN_TOKEN")
    db_pool_size: int = Field(default=10, alias="RECON_DB_POOL_SIZE")

    public_base_url: str = Field(default="http://127.0.0.1:8001", alias="PUBLIC_BASE_URL")
    board_base_url: str = Field(default="http://127.0.0.1:8000", alias="BOARD_BASE_URL")
    sms_provider: Literal["log", "twilio"] = Field(default="log", alias="SMS_PROVIDER")
    twilio_account_sid: str = Field(default="", alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: SecretStr = Field(default=SecretStr(""), alias="TWILIO_AUTH_TOKEN")
    twilio_api_base_url: str = Field(default="https://api.twilio.com", alias="TWILIO_API_BASE_URL")
    twilio_timeout_seconds: float = Field(default=10.0, alias="TWILIO_TIMEOUT_SECONDS")

    # The notifier: routing, batching, pacing, retries and its periodic checks.
    notifier_consumer: str = Field(default="notifier", alias="RECON_NOTIFIER_CONSUMER")
    notify_batch_seconds: float = Field(default=30.0, alias="RECON_NOTIFY_BATCH_SECONDS")
    notify_rate_per_second: float = Field(default=1.0, alias="RECON_NOTIFY_RATE_PER_SECOND")
    notify_concurrency: int = Field(default=10, alias="RECON_NOTIFY_CONCURRENCY")
    notify_poll_seconds: float = Field(default=1.0, alias="RECON_NOTIFY_POLL_SECONDS")
    notify_max_attempts: int = Field(default=6, alias="RECON_NOTIFY_MAX_ATTEMPTS")
    notify_retry_base_seconds: float = Field(default=2.0, alias="RECON_NOTIFY_RETRY_BASE_SECONDS")
    notify_retry_max_seconds: float = Field(default=300.0, alias="RECON_NOTIFY_RETRY_MAX_SECONDS")
    notify_send_lease_seconds: float = Field(default=60.0, alias="RECON_NOTIFY_SEND_LEASE_SECONDS")
    notify_check_seconds: float = Field(default=60.0, alias="RECON_NOTIFY_CHECK_SECONDS")
    digest_grace_hours: float = Field(default=3.0, alias="RECON_DIGEST_GRACE_HOURS")
    sms_flood_per_minute: int = Field(default=20, ge=1, alias="RECON_SMS_FLOOD_PER_MINUTE")

    outbox_poll_seconds: float = Field(default=2.0, alias="RECON_OUTBOX_POLL_SECONDS")
    outbox_batch_size: int = Field(default=500, alias="RECON_OUTBOX_BATCH_SIZE")
    log_level: str = Field(default="INFO", alias="RECON_LOG_LEVEL")

    @field_validator("database_url")
    @classmethod
    def _use_asyncpg_driver(cls, url: str) -> str:
        return sqlalchemy_url(url)

    @field_validator("admin_token")
    @classmethod
    def _refuse_weak_admin_token(cls, token: SecretStr) -> SecretStr:
        if len(token.get_secret_value()) < 16:
            raise ValueError("RECON_ADMIN_TOKEN must be at least 16 characters")
        return token

    @model_validator(mode="after")
    def _production_needs_real_credentials(self) -> Settings:
        # An empty Twilio token would make every webhook signature "valid".
        if self.environment != "production":
            return self
        if not self.twilio_auth_token.get_secret_value():
            raise ValueError("TWILIO_AUTH_TOKEN must be set in production")
        if self.sms_provider == "twilio" and not self.twilio_account_sid:
            raise ValueError("TWILIO_ACCOUNT_SID must be set when SMS_PROVIDER=twilio")
        if not self.public_base_url.startswith("https://"):
            raise ValueError("PUBLIC_BASE_URL must be the https:// URL Twilio calls in production")
        return self

    @property
    def asyncpg_dsn(self) -> str:
        """The database URL as asyncpg itself takes it (for LISTEN and the relay)."""
        return self.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg,unused-ignore]  # filled from the environment
