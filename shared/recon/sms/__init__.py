"""Outbound SMS: one provider interface, a Twilio implementation and a `log` stand-in."""

from __future__ import annotations

from recon.settings import Settings
from recon.sms.log import LogProvider
from recon.sms.provider import (
    SendFailed,
    SendRefused,
    SentMessage,
    SmsProvider,
)
from recon.sms.twilio import TwilioProvider, status_callback_url

__all__ = [
    "LogProvider",
    "SendFailed",
    "SendRefused",
    "SentMessage",
    "SmsProvider",
    "TwilioProvider",
    "create_provider",
    "status_callback_url",
]


def create_provider(settings: Settings) -> SmsProvider:
    """The provider `SMS_PROVIDER` names; close it with `aclose()`."""
    if settings.sms_provider == "twilio":
        return TwilioProvider.from_settings(settings)
    return LogProvider()
