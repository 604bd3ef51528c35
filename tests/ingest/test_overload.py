"""No text is lost when things go wrong: a busy service stores it and applies it later, a
failure after storing keeps it for review, and one that cannot be stored is not answered 200."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ingest_sms import inbound, replies
from ingest_sms.deps import ingest_of
from ingest_sms.main import create_app
from recon.db.models import Message
from recon.devstack.text import SMS_PATH, text_form
from tests import conftest
from tests.factories import make_staff, make_store, make_unit
from tests.ingest.conftest import Phone, ingest_settings, messages_of
from tests.ingest.test_webhook import detail_car, stage_of
from tests.platform.test_services import serving

Sessions = async_sessionmaker[AsyncSession]


async def settled(sessions: Sessions, store_id: object) -> Message:
    """The store's one inbound text, once something has been done with it."""
    for _ in range(200):
        (text,) = await messages_of(sessions, store_id, direction="inbound")
        if text.status != "received":
            return text
        await asyncio.sleep(0.05)
    raise AssertionError("the held text was never applied")


class TestBusy:
    async def test_a_text_that_waits_too_long_is_kept_answered_and_applied_when_free(
        self,
        servers: conftest.TestServers,
        sessions: Sessions,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        store = await make_store(sessions)
        detailer = await make_staff(sessions, store, role="detailer")
        unit = await make_unit(sessions, store, stage="detail", stock_number="2231")
        monkeypatch.setattr(inbound, "ADMIT_SECONDS", 0.05)
        # A pool of 2 (+2 overflow): two texts at once, two connections kept in reserve.
        app = create_app(ingest_settings(servers, RECON_DB_POOL_SIZE=2))
        async with serving(app) as client:
            ingest = ingest_of(app)
            busy = [await ingest.slots.acquire() for _ in range(2)]  # every slot taken
            reply = await Phone(client).text(
                from_number=detailer.phone, to_number=store.sms_number, body="2231 done"
            )

            assert reply == replies.HELD
            (held,) = await messages_of(sessions, store.id, direction="inbound")
            assert held.status == "received" and held.body == "2231 done"
            assert await stage_of(sessions, unit) == "detail"

            for _ in busy:
                ingest.slots.release()
            applied = await settled(sessions, store.id)

        assert applied.status == "applied" and applied.id == held.id
        assert await stage_of(sessions, unit) == "photos"
        # The sender was answered once, when the text was kept.
        answers = await messages_of(sessions, store.id, direction="outbound")
        assert [answer.body for answer in answers] == [replies.HELD]


class TestTurns:
    async def test_a_stores_texts_take_turns_while_other_stores_go_on(
        self, phone: Phone, sessions: Sessions, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Postgres applies a store's texts one at a time (its lock); the process queues them
        itself rather than have them wait on that lock, and other stores are not held up."""
        stores = [await detail_car(sessions) for _ in range(2)]
        for store, detailer, _ in stores:  # each number is known to the process from now on
            await phone.text(from_number=detailer.phone, to_number=store.sms_number, body="hi")
        inside: Counter[str] = Counter()
        most: Counter[str] = Counter()
        at_once = 0
        receive = inbound.SmsIngest._receive

        async def counted(self: inbound.SmsIngest, text: inbound.InboundText, numbers):  # type: ignore[no-untyped-def]
            nonlocal at_once
            inside[numbers[0]] += 1
            most[numbers[0]] = max(most[numbers[0]], inside[numbers[0]])
            at_once = max(at_once, sum(inside.values()))
            try:
                await asyncio.sleep(0.02)
                return await receive(self, text, numbers)
            finally:
                inside[numbers[0]] -= 1

        monkeypatch.setattr(inbound.SmsIngest, "_receive", counted)
        replies_ = await asyncio.gather(
            *(
                phone.text(
                    from_number=detailer.phone,
                    to_number=store.sms_number,
                    body=f"2231 note: turn {n}",
                )
                for n in range(4)
                for store, detailer, _ in stores
            )
        )

        assert all(reply is not None and "note added" in reply for reply in replies_)
        assert set(most.values()) == {1}  # one text of a store at a time
        assert at_once == 2  # the two stores side by side


class TestFailures:
    async def test_a_failure_after_the_change_keeps_the_text_and_undoes_the_change(
        self, phone: Phone, sessions: Sessions, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        store, detailer, unit = await detail_car(sessions)

        def broken(*_: object, **__: object) -> str:
            raise RuntimeError("replies broke")

        monkeypatch.setattr(inbound.replies, "confirmation", broken)
        reply = await phone.text(
            from_number=detailer.phone, to_number=store.sms_number, body="2231 done"
        )

        assert reply == replies.APOLOGY
        text, answer = await messages_of(sessions, store.id)
        assert text.status == "needs_review" and text.body == "2231 done"
        assert text.interpretation is not None and "replies broke" in text.interpretation["error"]
        assert answer.reply_to_id == text.id and answer.body == reply
        assert await stage_of(sessions, unit) == "detail"

    async def test_a_text_that_cannot_be_stored_is_not_answered_as_delivered(
        self, phone: Phone, sessions: Sessions, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        store, detailer, unit = await detail_car(sessions)

        async def no_database(*_: object, **__: object) -> None:
            raise ConnectionError("Postgres is away")

        monkeypatch.setattr(inbound, "_resolve", no_database)
        form = text_form(from_number=detailer.phone, to_number=store.sms_number, body="2231 done")
        response = await phone.post(SMS_PATH, form)

        # Twilio does not retry texts; a non-2xx is logged and goes to its fallback URL.
        assert response.status_code == 503
        assert "could not be stored" in response.json()["detail"]
        assert await messages_of(sessions, store.id) == []
        assert await stage_of(sessions, unit) == "detail"
