"""Is a webhook really from Twilio? Its signature is checked against the public URL Twilio
called (PUBLIC_BASE_URL + path), never the URL a proxy forwarded to us."""

from __future__ import annotations

from starlette.datastructures import URL, FormData
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from recon.settings import Settings


def public_url(settings: Settings, url: URL) -> str:
    base = settings.public_base_url.rstrip("/")
    return f"{base}{url.path}" + (f"?{url.query}" if url.query else "")


def signed_by_twilio(
    settings: Settings, *, url: URL, headers: dict[str, str], form: FormData
) -> bool:
    signature = headers.get(SIGNATURE_HEADER.lower())
    if not signature:
        return False
    token = settings.twilio_auth_token.get_secret_value()
    if not token and settings.environment == "production":
        # No token configured: nothing could prove where a request came from.
        return False
    algorithm = get_signature_algorithm(headers.get(SIGNATURE_SETTINGS_HEADER.lower()))
    validator = RequestValidator(token)
    return bool(validator.validate(public_url(settings, url), form, signature, algorithm))
