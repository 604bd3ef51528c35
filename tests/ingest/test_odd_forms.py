"""Webhook forms with characters no text carries: the text is still answered and kept, and a
status callback is still a 2xx, never a 5xx (Twilio would retry or show it as an outage)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon.devstack.text import SMS_PATH, reply_of, text_form
from tests.factories import make_staff, make_store, make_unit
from tests.ingest.conftest import Phone, messages_of

Sessions = async_sessionmaker[AsyncSession]


async def test_nul_characters_in_a_text_are_dropped(phone: Phone, sessions: Sessions) -> None:
    store = await make_store(sessions)
    detailer = await make_staff(sessions, store, role="detailer")
    await make_unit(sessions, store, stage="detail", stock_number="2231")
    form = text_form(
        from_number=detailer.phone[:-1] + "\x00" + detailer.phone[-1],
        to_number=store.sms_number,
        body="where is 2231\x00",
        media_urls=("https://example.com/a.jpg\x00",),
    )

    response = await phone.post(SMS_PATH, form)

    assert response.status_code == 200, response.text
    assert "2231" in (reply_of(response.text) or "")
    text = (await messages_of(sessions, store.id, direction="inbound"))[0]
    assert (text.from_number, text.body, text.staff_id) == (
        detailer.phone,
        "where is 2231",
        detailer.id,
    )
    assert text.media_urls == ["https://example.com/a.jpg"]


async def test_a_status_callback_with_a_nul_in_its_sid_is_not_a_5xx(phone: Phone) -> None:
    response = await phone.post(
        "/webhooks/twilio/status", {"MessageSid": "SM\x00", "MessageStatus": "delivered"}
    )
    assert response.status_code == 204
