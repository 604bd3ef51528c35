"""The Twilio provider: the Messages REST API over httpx.

POST {TWILIO_API_BASE_URL}/2010-04-01/Accounts/{sid}/Messages.json with Basic auth and the
form fields To, From, Body, StatusCallback (ingest-sms's status webhook on PUBLIC_BASE_URL).
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from recon.settings import Settings
from recon.sms.provider import SendFailed, SendRefused, SentMessage

# Twilio answers 4xx with {"code": 21610, "message": ..., "status": 400}; only 429 is worth
# trying again. A 5xx or a lost answer may hide an accepted text.
RATE_LIMITED = 429


def status_callback_url(public_base_url: str) -> str:
    return public_base_url.rstrip("/") + "/webhooks/twilio/status"


class TwilioProvider:
    name = "twilio"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        api_base_url: str,
        status_callback: str | None,
        timeout: float = 10.0,
    ) -> None:
        self.account_sid = account_sid
        self.status_callback = status_callback
        self.messages_url = (
            f"{api_base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        )
        self.client = httpx.AsyncClient(
            auth=(account_sid, auth_token),
            timeout=timeout,
            headers={"Accept": "application/json"},
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> TwilioProvider:
        return cls(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token.get_secret_value(),
            api_base_url=settings.twilio_api_base_url,
            status_callback=status_callback_url(settings.public_base_url),
            timeout=settings.twilio_timeout_seconds,
        )

    async def send(self, *, from_number: str, to_number: str, body: str) -> SentMessage:
        form = {"To": to_number, "From": from_number, "Body": body}
        if self.status_callback:
            form["StatusCallback"] = self.status_callback
        try:
            response = await self.client.post(self.messages_url, data=form)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            # The request never reached Twilio: nothing can have been accepted.
            raise SendFailed("unreachable", str(exc), maybe_accepted=False) from exc
        except httpx.HTTPError as exc:
            raise SendFailed(
                "timeout", str(exc) or type(exc).__name__, maybe_accepted=True
            ) from exc
        if response.status_code in (200, 201):
            return _sent_message(response.json())
        code, message = _error(response)
        if response.status_code == RATE_LIMITED:
            raise SendFailed(
                code,
                message,
                maybe_accepted=False,
                retry_after=_retry_after(response.headers.get("Retry-After")),
            )
        if response.status_code >= 500:
            raise SendFailed(code, message, maybe_accepted=True)
        raise SendRefused(code, message)

    async def recent(
        self, *, from_number: str, to_number: str, since: datetime
    ) -> list[SentMessage]:
        # Twilio lists newest first; DateSent filters by day, the rest is filtered here.
        params = {
            "To": to_number,
            "From": from_number,
            "DateSent>": since.date().isoformat(),
            "PageSize": "50",
        }
        try:
            response = await self.client.get(self.messages_url, params=params)
        except httpx.HTTPError as exc:
            raise SendFailed(
                "timeout", str(exc) or type(exc).__name__, maybe_accepted=True
            ) from exc
        if response.status_code != 200:
            code, message = _error(response)
            raise SendFailed(code, message, maybe_accepted=True)
        found = [_sent_message(item) for item in response.json().get("messages", [])]
        return [m for m in found if m.created_at is None or m.created_at >= since]

    async def aclose(self) -> None:
        await self.client.aclose()


def _sent_message(payload: dict[str, Any]) -> SentMessage:
    created = payload.get("date_created")
    return SentMessage(
        sid=str(payload["sid"]),
        status=str(payload.get("status") or "queued"),
        body=str(payload.get("body") or ""),
        created_at=parsedate_to_datetime(created) if created else None,
    )


def _error(response: httpx.Response) -> tuple[str, str]:
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    code = payload.get("code") if isinstance(payload, dict) else None
    message = payload.get("message") if isinstance(payload, dict) else None
    return str(code or response.status_code), str(message or response.reason_phrase)


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
