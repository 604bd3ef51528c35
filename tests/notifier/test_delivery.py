"""Delivery through the real Twilio client into the fake Twilio server: every send is an
outbound message with its status, retries on 429/5xx, permanent errors end it, and one text per
(event, person) even when events are redelivered or the sender is killed mid-send."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.queueing import queue_texts
from notifier.routing import route_event
from notifier.sender import Sender
from notifier.workers import handle_event
from recon.db.models import Message, Notification, Outbox, Staff, Store
from recon.domain import units
from recon.events import CloudEvent
from recon.settings import Settings
from recon.sms import TwilioProvider
from tests.factories import API_CAUSE, make_staff, make_unit
from tests.fake_twilio import FakeTwilio
from tests.notifier.conftest import configured, finished, latest_event_id, quiet_free_store

Sessions = async_sessionmaker[AsyncSession]


def sender_settings(settings: Settings, fake: FakeTwilio, **overrides: Any) -> Settings:
    return configured(settings, fake, notify_batch_seconds=0.0, **overrides)


async def queue_one(
    sessions: Sessions, config: Settings, store: Store, person: Staff, body: str
) -> uuid.UUID:
    event_id = uuid.uuid4()
    async with sessions() as session, session.begin():
        await queue_texts(
            session,
            store=store,
            event_id=event_id,
            unit_id=None,
            kind="test",
            texts=[(person, body)],
            now=datetime.now(UTC),
            settings=config,
        )
    return event_id


@asynccontextmanager
async def sending(sessions: Sessions, config: Settings) -> AsyncIterator[asyncio.Task[None]]:
    """A sender running as its own task (what a notifier process runs), stopped at the end."""
    provider = TwilioProvider.from_settings(config)
    task = asyncio.create_task(Sender(sessions, provider, config).run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await provider.aclose()


async def message_of(sessions: Sessions, row: Notification) -> Message:
    async with sessions() as session:
        return await session.get_one(Message, row.message_id)


async def staff_row(sessions: Sessions, staff_id: uuid.UUID) -> Staff:
    async with sessions() as session:
        return await session.get_one(Staff, staff_id)


class TestSending:
    async def test_every_send_is_an_outbound_message_with_its_delivery_status(
        self, sessions: Sessions, settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        config = sender_settings(settings, fake_twilio)
        store = await quiet_free_store(sessions)
        person = await make_staff(sessions, store, role="detailer")
        event_id = await queue_one(sessions, config, store, person, "2231 is ready for detail.")
        async with sending(sessions, config):
            [row] = await finished(sessions, event_id)
        message = await message_of(sessions, row)
        [accepted] = [m for m in fake_twilio.accepted if m["to"] == person.phone]
        assert row.status == "sent"
        assert (message.direction, message.from_number, message.to_number) == (
            "outbound",
            store.sms_number,
            person.phone,
        )
        assert (message.provider_sid, message.status, message.staff_id) == (
            accepted["sid"],
            "queued",
            person.id,
        )
        [form] = [f for f in fake_twilio.forms if f["To"] == person.phone]
        assert form == {
            "To": person.phone,
            "From": store.sms_number,
            "Body": "2231 is ready for detail.",
            "StatusCallback": config.public_base_url + "/webhooks/twilio/status",
        }
        assert fake_twilio.auth_failures == 0

    async def test_429_and_500_are_retried_until_the_text_is_accepted_once(
        self, sessions: Sessions, settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        config = sender_settings(settings, fake_twilio)
        store = await quiet_free_store(sessions)
        person = await make_staff(sessions, store, role="detailer")
        fake_twilio.fail_next(429, code=20429, retry_after=0.1)
        fake_twilio.fail_next(500)
        event_id = await queue_one(sessions, config, store, person, "retry me")
        async with sending(sessions, config):
            [row] = await finished(sessions, event_id)
        assert (row.status, row.attempts) == ("sent", 3)
        assert len([f for f in fake_twilio.forms if f["To"] == person.phone]) == 3
        assert fake_twilio.texts_to(person.phone) == ["retry me"]

    async def test_a_send_that_keeps_failing_ends_as_failed_with_the_code(
        self, sessions: Sessions, settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        config = sender_settings(settings, fake_twilio, notify_max_attempts=2)
        store = await quiet_free_store(sessions)
        person = await make_staff(sessions, store, role="detailer")
        fake_twilio.fail_next(503, times=2)
        event_id = await queue_one(sessions, config, store, person, "never lands")
        async with sending(sessions, config):
            [row] = await finished(sessions, event_id)
        message = await message_of(sessions, row)
        assert (row.status, row.error_code) == ("failed", "503")
        assert (message.status, message.error_code) == ("failed", "503")

    async def test_21610_fails_the_text_and_opts_the_person_out(
        self, sessions: Sessions, settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        config = sender_settings(settings, fake_twilio)
        store = await quiet_free_store(sessions)
        person = await make_staff(sessions, store, role="detailer")
        fake_twilio.fail_next(400, code=21610)
        event_id = await queue_one(sessions, config, store, person, "STOPped number")
        async with sending(sessions, config):
            [row] = await finished(sessions, event_id)
        message = await message_of(sessions, row)
        assert (row.status, row.error_code, row.attempts) == ("failed", "21610", 1)
        assert (message.status, message.error_code) == ("failed", "21610")
        refreshed = await staff_row(sessions, person.id)
        assert refreshed.sms_opt_out is True
        # and nothing more is queued for them
        later = await queue_one(sessions, config, store, refreshed, "anything")
        async with sessions() as session:
            assert (
                await session.scalar(select(Notification).where(Notification.event_id == later))
                is None
            )

    async def test_21211_fails_the_text_and_marks_the_phone_invalid(
        self, sessions: Sessions, settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        config = sender_settings(settings, fake_twilio)
        store = await quiet_free_store(sessions)
        person = await make_staff(sessions, store, role="detailer")
        fake_twilio.fail_next(400, code=21211)
        event_id = await queue_one(sessions, config, store, person, "bad number")
        async with sending(sessions, config):
            [row] = await finished(sessions, event_id)
        assert (row.status, row.error_code) == ("failed", "21211")
        refreshed = await staff_row(sessions, person.id)
        assert (refreshed.phone_invalid, refreshed.sms_opt_out) == (True, False)


class TestExactlyOnce:
    async def test_a_redelivered_event_queues_one_text_per_person(
        self, sessions: Sessions, settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        config = sender_settings(settings, fake_twilio)
        store = await quiet_free_store(sessions)
        await make_staff(sessions, store, role="detailer")
        unit = await make_unit(sessions, store, stage="mechanical")
        async with sessions() as session, session.begin():
            fresh = await units.get_unit(session, store_id=store.id, ref=unit.id)
            await units.move_unit(session, fresh, to_stage="detail", cause=API_CAUSE)
        event_id = await latest_event_id(sessions, unit.id)
        async with sessions() as session:
            payload = await session.scalar(
                select(Outbox.payload).where(Outbox.event_id == event_id)
            )
        event = CloudEvent.model_validate(payload)
        assert await handle_event(sessions, event, settings=config) == 1
        assert await handle_event(sessions, event, settings=config) == 0
        # Even past the consumer's own record, the notifications' unique key holds.
        async with sessions() as session, session.begin():
            assert await route_event(session, event, settings=config, now=datetime.now(UTC)) == 0
        async with sessions() as session:
            rows = (
                await session.scalars(select(Notification).where(Notification.event_id == event_id))
            ).all()
        assert len(rows) == 1

    async def test_killed_after_the_provider_accepted_the_text_it_is_not_sent_again(
        self, sessions: Sessions, settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        config = sender_settings(settings, fake_twilio)
        store = await quiet_free_store(sessions)
        person = await make_staff(sessions, store, role="detailer")
        event_id = await queue_one(sessions, config, store, person, "exactly once")
        fake_twilio.hold_answers()
        async with sending(sessions, config) as first:
            await fake_twilio.wait_for(lambda: bool(fake_twilio.texts_to(person.phone)))
            first.cancel()  # killed between the provider's accept and the SID write
        fake_twilio.release()
        async with sessions() as session:
            row = await session.scalar(
                select(Notification).where(Notification.event_id == event_id)
            )
        assert row is not None and row.status == "sending"
        async with sending(sessions, config):  # the notifier comes back
            [row] = await finished(sessions, event_id)
        [accepted] = [m for m in fake_twilio.accepted if m["to"] == person.phone]
        assert len([f for f in fake_twilio.forms if f["To"] == person.phone]) == 1
        assert row.status == "sent"
        assert (await message_of(sessions, row)).provider_sid == accepted["sid"]

    async def test_killed_before_the_provider_call_the_text_goes_out_once_after_restart(
        self, sessions: Sessions, settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        # Pacing holds the second text back, so the kill lands after its claim, before its send.
        config = sender_settings(settings, fake_twilio, notify_rate_per_second=2.0)
        store = await quiet_free_store(sessions)
        first_person = await make_staff(sessions, store, role="detailer")
        second_person = await make_staff(sessions, store, role="detailer")
        first = await queue_one(sessions, config, store, first_person, "first")
        second = await queue_one(sessions, config, store, second_person, "second")
        async with sending(sessions, config) as task:
            await fake_twilio.wait_for(lambda: len(fake_twilio.forms) >= 1)
            task.cancel()
        async with sessions() as session:
            statuses = set(
                (
                    await session.scalars(
                        select(Notification.status).where(
                            Notification.event_id.in_([first, second])
                        )
                    )
                ).all()
            )
        assert "sending" in statuses
        async with sending(sessions, config):
            rows = await finished(sessions, first) + await finished(sessions, second)
        assert [row.status for row in rows] == ["sent", "sent"]
        assert fake_twilio.texts_to(first_person.phone) == ["first"]
        assert fake_twilio.texts_to(second_person.phone) == ["second"]
