"""A notice is sent only if the change it announces still holds on the unit when the text goes
out (the batching window's flush, the end of the quiet hours): what a later event overturned is
dropped as `skipped` / `stale`, the rest of the text still goes, and an UNDO texts no one."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ingest_sms.main import create_app as create_ingest_app
from notifier.queueing import queue_texts
from recon.db.models import Notification, Store, Unit
from recon.domain import units
from recon.settings import Settings
from tests.conftest import TestServers
from tests.factories import API_CAUSE, make_staff, make_store, make_unit
from tests.fake_twilio import FakeTwilio
from tests.ingest.conftest import Phone, ingest_settings
from tests.notifier.conftest import (
    configured,
    consumed,
    finished,
    latest_event_id,
    notifications_of,
    quiet_free_store,
    running_notifier,
    settled,
    wait_until,
)
from tests.notifier.test_delivery import sender_settings, sending
from tests.notifier.test_rules import by, change, move
from tests.platform.test_services import serving

Sessions = async_sessionmaker[AsyncSession]

CAR = "(2019 Chevrolet Silverado, White)"


def outcomes(rows: list[Notification]) -> list[tuple[uuid.UUID, str, str | None]]:
    return [(row.staff_id, row.status, row.error_code) for row in rows]


@asynccontextmanager
async def texting(servers: TestServers) -> AsyncIterator[Phone]:
    """ingest-sms, texted through its signed webhook (the demo's `make text`)."""
    async with serving(create_ingest_app(ingest_settings(servers))) as client:
        yield Phone(client)


async def stage_of(sessions: Sessions, unit: Unit) -> str | None:
    async with sessions() as session:
        return await session.scalar(select(Unit.stage).where(Unit.id == unit.id))


class TestUndo:
    async def test_a_move_undone_within_the_batch_window_texts_no_one(
        self,
        sessions: Sessions,
        settings: Settings,
        servers: TestServers,
        fake_twilio: FakeTwilio,
    ) -> None:
        """The audit's repro: "2279 done" (mechanical → detail), then UNDO, within the window."""
        config = configured(settings, fake_twilio, notify_batch_seconds=2.0)
        store = await quiet_free_store(sessions)
        tech = await make_staff(sessions, store, role="technician")
        detailer = await make_staff(sessions, store, role="detailer")
        unit = await make_unit(sessions, store, stage="mechanical", stock_number="2279")
        async with running_notifier(config), texting(servers) as phone:
            await phone.text(from_number=tech.phone, to_number=store.sms_number, body="2279 done")
            assert await stage_of(sessions, unit) == "detail"
            moved = await latest_event_id(sessions, unit.id)
            reply = await phone.text(
                from_number=tech.phone, to_number=store.sms_number, body="UNDO"
            )
            assert reply is not None and "Undone" in reply
            assert await stage_of(sessions, unit) == "mechanical"
            undo = await latest_event_id(sessions, unit.id)
            rows = await settled(sessions, config, moved)
            assert await consumed(sessions, config, undo) == []
        assert outcomes(rows) == [(detailer.id, "skipped", "stale")]
        assert rows[0].message_id is None
        assert fake_twilio.texts_to(detailer.phone) == []

    async def test_an_undo_texts_no_one_about_the_stage_it_puts_back(
        self,
        sessions: Sessions,
        settings: Settings,
        servers: TestServers,
        fake_twilio: FakeTwilio,
    ) -> None:
        """A detailer's "done" (detail → photos) undone: the photographer's notice is dropped, and
        the move back into detail is not news for the other detailers."""
        config = configured(settings, fake_twilio, notify_batch_seconds=2.0)
        store = await quiet_free_store(sessions)
        luis = await make_staff(sessions, store, role="detailer")
        other_detailer = await make_staff(sessions, store, role="detailer")
        photographer = await make_staff(sessions, store, role="photographer")
        unit = await make_unit(sessions, store, stage="detail", stock_number="2231")
        async with running_notifier(config), texting(servers) as phone:
            await phone.text(from_number=luis.phone, to_number=store.sms_number, body="2231 done")
            assert await stage_of(sessions, unit) == "photos"
            moved = await latest_event_id(sessions, unit.id)
            await phone.text(from_number=luis.phone, to_number=store.sms_number, body="UNDO")
            assert await stage_of(sessions, unit) == "detail"
            undo = await latest_event_id(sessions, unit.id)
            rows = await settled(sessions, config, moved)
            assert await consumed(sessions, config, undo) == []
        assert outcomes(rows) == [(photographer.id, "skipped", "stale")]
        assert fake_twilio.texts_to(photographer.phone) == []
        assert fake_twilio.texts_to(other_detailer.phone) == []
        assert fake_twilio.texts_to(luis.phone) == []


class TestBatchFlush:
    async def test_a_further_move_out_of_detail_drops_only_that_notice_from_the_text(
        self, sessions: Sessions, settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        config = configured(settings, fake_twilio, notify_batch_seconds=1.5)
        store = await quiet_free_store(sessions)
        detailer = await make_staff(sessions, store, role="detailer")
        photographer = await make_staff(sessions, store, role="photographer")
        first = await make_unit(sessions, store, stage="mechanical", stock_number="1001")
        second = await make_unit(sessions, store, stage="mechanical", stock_number="1002")
        async with running_notifier(config):
            one = await move(sessions, store, first, "detail")
            two = await move(sessions, store, second, "detail")
            on = await move(sessions, store, first, "photos")
            stale = await settled(sessions, config, one)
            kept = await settled(sessions, config, two)
            await settled(sessions, config, on)
        assert outcomes(stale) == [(detailer.id, "skipped", "stale")]
        assert outcomes(kept) == [(detailer.id, "sent", None)]
        assert fake_twilio.texts_to(detailer.phone) == [f"1002 {CAR} is ready for detail."]
        assert fake_twilio.texts_to(photographer.phone) == [f"1001 {CAR} is ready for photos."]

    async def test_out_of_detail_and_back_within_the_window_is_one_notice(
        self, sessions: Sessions, settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        """The latest move into detail carries the news; the first one's notice is overtaken."""
        config = configured(settings, fake_twilio, notify_batch_seconds=1.5)
        store = await quiet_free_store(sessions)
        detailer = await make_staff(sessions, store, role="detailer")
        unit = await make_unit(sessions, store, stage="mechanical", stock_number="3003")
        async with running_notifier(config):
            first = await move(sessions, store, unit, "detail")
            await move(sessions, store, unit, "mechanical")
            again = await move(sessions, store, unit, "detail")
            overtaken = await settled(sessions, config, first)
            latest = await settled(sessions, config, again)
        assert outcomes(overtaken) == [(detailer.id, "skipped", "stale")]
        assert outcomes(latest) == [(detailer.id, "sent", None)]
        assert fake_twilio.texts_to(detailer.phone) == [f"3003 {CAR} is ready for detail."]

    async def test_an_approval_blocker_cleared_before_the_flush_texts_no_manager(
        self, sessions: Sessions, settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        config = configured(settings, fake_twilio, notify_batch_seconds=1.5)
        store = await quiet_free_store(sessions)
        manager = await make_staff(sessions, store, role="used_car_manager")
        tech = await make_staff(sessions, store, role="technician")
        unit = await make_unit(sessions, store, stage="mechanical", stock_number="8821")
        async with running_notifier(config):
            blocked = await change(
                sessions,
                store,
                unit,
                units.block_unit,
                kind="approval",
                note="timing belt $900",
                eta=None,
                cause=by(tech),
            )
            await change(sessions, store, unit, units.unblock_unit, cause=API_CAUSE)
            rows = await settled(sessions, config, blocked)
        assert outcomes(rows) == [(manager.id, "skipped", "stale")]
        assert fake_twilio.texts_to(manager.phone) == []

    async def test_a_parts_cleared_notice_is_dropped_once_the_unit_is_blocked_again(
        self, sessions: Sessions, settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        config = configured(settings, fake_twilio, notify_batch_seconds=1.5)
        store = await quiet_free_store(sessions)
        tech = await make_staff(sessions, store, role="technician")
        unit = await make_unit(sessions, store, stage="mechanical", stock_number="3300")
        await change(
            sessions,
            store,
            unit,
            units.block_unit,
            kind="parts",
            note="pads",
            eta=None,
            cause=by(tech),
        )
        async with running_notifier(config):
            cleared = await change(sessions, store, unit, units.unblock_unit, cause=API_CAUSE)
            await change(
                sessions,
                store,
                unit,
                units.block_unit,
                kind="parts",
                note="wrong pads",
                eta=None,
                cause=API_CAUSE,
            )
            rows = await settled(sessions, config, cleared)
        assert outcomes(rows) == [(tech.id, "skipped", "stale")]
        assert fake_twilio.texts_to(tech.phone) == []


class TestQuietHours:
    async def test_at_the_end_of_quiet_hours_only_what_still_holds_is_sent(
        self, sessions: Sessions, notifier_settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        zone = "America/Chicago"
        local_now = datetime.now(ZoneInfo(zone))
        start = (local_now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
        end = (local_now + timedelta(hours=1)).time().replace(second=0, microsecond=0)
        store = await make_store(
            sessions, timezone=zone, quiet_hours_start=start, quiet_hours_end=end
        )
        detailer = await make_staff(sessions, store, role="detailer")
        photographer = await make_staff(sessions, store, role="photographer")
        unit = await make_unit(sessions, store, stage="mechanical", stock_number="4404")
        async with running_notifier(notifier_settings):
            to_detail = await move(sessions, store, unit, "detail")
            to_photos = await move(sessions, store, unit, "photos")
            for event_id in (to_detail, to_photos):
                held = await wait_until(lambda e=event_id: notifications_of(sessions, e))
                assert [row.status for row in held] == ["pending"]
            assert fake_twilio.texts_to(detailer.phone) == []
            await end_quiet_hours(sessions, store)
            stale = await finished(sessions, to_detail)
            kept = await finished(sessions, to_photos)
        assert outcomes(stale) == [(detailer.id, "skipped", "stale")]
        assert outcomes(kept) == [(photographer.id, "sent", None)]
        assert fake_twilio.texts_to(detailer.phone) == []
        assert fake_twilio.texts_to(photographer.phone) == [f"4404 {CAR} is ready for photos."]


async def end_quiet_hours(sessions: Sessions, store: Store) -> None:
    """The store's quiet hours are over: what they held is due now."""
    async with sessions() as session, session.begin():
        await session.execute(
            update(Notification)
            .where(Notification.store_id == store.id, Notification.status == "pending")
            .values(send_after=func.now())
        )


class TestExactlyOnce:
    async def test_a_text_already_with_the_provider_is_recovered_not_dropped_as_stale(
        self, sessions: Sessions, settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        """Staleness is judged once, before the send: a text that may have reached the provider
        before a crash is recovered as it was, even if its news has gone stale since."""
        config = sender_settings(settings, fake_twilio)
        store = await quiet_free_store(sessions)
        detailer = await make_staff(sessions, store, role="detailer")
        unit = await make_unit(sessions, store, stage="mechanical", stock_number="5505")
        moved = await move(sessions, store, unit, "detail")
        async with sessions() as session, session.begin():
            await queue_texts(
                session,
                store=store,
                event_id=moved,
                unit_id=unit.id,
                kind="stage_changed",
                texts=[(detailer, "5505 is ready for detail.")],
                now=datetime.now(UTC),
                settings=config,
            )
        fake_twilio.hold_answers()
        async with sending(sessions, config) as first:
            await fake_twilio.wait_for(lambda: bool(fake_twilio.texts_to(detailer.phone)))
            first.cancel()  # killed between the provider's accept and the SID write
        fake_twilio.release()
        await move(sessions, store, unit, "photos")
        async with sending(sessions, config):
            [row] = await finished(sessions, moved)
        assert (row.status, row.error_code) == ("sent", None)
        assert len([f for f in fake_twilio.forms if f["To"] == detailer.phone]) == 1
