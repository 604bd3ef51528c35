"""ingest-sms under test: the real app (lifespan, relay) over real Postgres and NATS, texted
through its signed webhook exactly as Twilio would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ingest_sms.main import create_app
from recon.db.models import Message
from recon.devstack.text import SMS_PATH, reply_of, sign, text_form
from recon.settings import Settings
from tests.conftest import TestServers
from tests.platform.test_services import serving

AUTH_TOKEN = "twilio-test-auth-token"
PUBLIC_BASE_URL = "https://recon.example.com/sms-in"


def ingest_settings(servers: TestServers, **overrides: object) -> Settings:
    return servers.settings(
        TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_BASE_URL=PUBLIC_BASE_URL, **overrides
    )


@dataclass
class Phone:
    """A test phone: texts the webhook the way Twilio delivers a text."""

    client: httpx.AsyncClient

    async def post(
        self, path: str, form: dict[str, str], *, signature: str | None = "sign"
    ) -> httpx.Response:
        headers = {}
        if signature == "sign":
            signature = sign(auth_token=AUTH_TOKEN, url=PUBLIC_BASE_URL + path, params=form)
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        return await self.client.post(path, data=form, headers=headers)

    async def text(
        self,
        *,
        from_number: str,
        to_number: str,
        body: str,
        sid: str | None = None,
        media: tuple[str, ...] = (),
    ) -> str | None:
        """Send a text; returns the reply in the TwiML answer (None when there is none)."""
        form = text_form(from_number=from_number, to_number=to_number, body=body, media_urls=media)
        if sid is not None:
            form["MessageSid"] = sid
        response = await self.post(SMS_PATH, form)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        return reply_of(response.text)


@pytest.fixture(scope="module")
async def phone(servers: TestServers) -> AsyncIterator[Phone]:
    async with serving(create_app(ingest_settings(servers))) as client:
        yield Phone(client)


async def messages_of(
    sessions: async_sessionmaker[AsyncSession], store_id: object, *, direction: str | None = None
) -> list[Message]:
    async with sessions() as session:
        query = select(Message).where(Message.store_id == store_id)
        if direction is not None:
            query = query.where(Message.direction == direction)
        rows = await session.execute(query.order_by(Message.created_at, Message.id))
        return list(rows.scalars())
