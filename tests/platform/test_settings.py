"""Settings refuse what would be unsafe to run with."""

import pytest
from pydantic import ValidationError

from recon.settings import Settings

BASE = {
    "DATABASE_URL": "postgres://db/recon",
    "NATS_URL": "nats://n:4222",
    "RECON_ADMIN_TOKEN": "a" * 20,
}


def test_plain_postgres_urls_are_given_the_asyncpg_driver() -> None:
    assert Settings.model_validate(BASE).database_url == "postgresql+asyncpg://db/recon"


def test_a_short_admin_token_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 16"):
        Settings.model_validate({**BASE, "RECON_ADMIN_TOKEN": "short"})


def test_production_needs_the_twilio_token_and_an_https_public_url() -> None:
    with pytest.raises(ValidationError, match="TWILIO_AUTH_TOKEN"):
        Settings.model_validate({**BASE, "RECON_ENV": "production"})
    with pytest.raises(ValidationError, match="https"):
        Settings.model_validate({**BASE, "RECON_ENV": "production", "TWILIO_AUTH_TOKEN": "t" * 32})
    ok = Settings.model_validate(
        {
            **BASE,
            "RECON_ENV": "production",
            "TWILIO_AUTH_TOKEN": "t" * 32,
            "PUBLIC_BASE_URL": "https://sms.example.com",
        }
    )
    assert ok.environment == "production"
