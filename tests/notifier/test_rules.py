"""Each default rule texts the right people with the right words, and never the wrong ones."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.overdue import queue_overdue
from notifier.schedule import quiet_until
from notifier.workers import run_check
from recon.db.models import Notification, Staff, Store, Unit
from recon.domain import units
from recon.domain.event_log import Cause
from recon.domain.notification_rules import RuleSpec, replace_rules
from recon.events import Actor
from recon.settings import Settings
from tests.factories import API_CAUSE, make_staff, make_store, make_unit
from tests.fake_twilio import FakeTwilio
from tests.notifier.conftest import (
    configured,
    latest_event_id,
    notifications_of,
    quiet_free_store,
    running_notifier,
    settled,
    wait_until,
)

Sessions = async_sessionmaker[AsyncSession]


def by(staff: Staff) -> Cause:
    """A change made by a staff member's text."""
    return Cause(
        actor=Actor(kind="staff", staff_id=staff.id, name=staff.name), source="sms", service="tests"
    )


async def change(sessions: Sessions, store: Store, unit: Unit, action, **options):  # type: ignore[no-untyped-def]
    async with sessions() as session, session.begin():
        fresh = await units.get_unit(session, store_id=store.id, ref=unit.id)
        await action(session, fresh, **options)
    return await latest_event_id(sessions, unit.id)


async def move(sessions: Sessions, store: Store, unit: Unit, stage: str):  # type: ignore[no-untyped-def]
    """The unit moved to `stage` through the API's domain call; the event's id."""
    return await change(sessions, store, unit, units.move_unit, to_stage=stage, cause=API_CAUSE)


class TestDefaultRules:
    async def test_moved_to_detail_texts_every_detailer_and_no_one_else(
        self, sessions: Sessions, notifier_settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        store = await quiet_free_store(sessions)
        detailers = [await make_staff(sessions, store, role="detailer") for _ in range(2)]
        photographer = await make_staff(sessions, store, role="photographer")
        unit = await make_unit(sessions, store, stage="mechanical", stock_number="2231")
        async with running_notifier(notifier_settings):
            event_id = await move(sessions, store, unit, "detail")
            rows = await settled(sessions, notifier_settings, event_id)
        assert {row.staff_id for row in rows} == {d.id for d in detailers}
        for detailer in detailers:
            assert fake_twilio.texts_to(detailer.phone) == [
                "2231 (2019 Chevrolet Silverado, White) is ready for detail."
            ]
        assert fake_twilio.texts_to(photographer.phone) == []

    async def test_moved_to_photos_texts_the_photographer(
        self, sessions: Sessions, notifier_settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        store = await quiet_free_store(sessions)
        photographer = await make_staff(sessions, store, role="photographer")
        detailer = await make_staff(sessions, store, role="detailer")
        unit = await make_unit(sessions, store, stage="detail", stock_number="7710")
        async with running_notifier(notifier_settings):
            event_id = await change(
                sessions, store, unit, units.complete_stage, stage="detail", cause=by(detailer)
            )
            await settled(sessions, notifier_settings, event_id)
        assert fake_twilio.texts_to(photographer.phone) == [
            "7710 (2019 Chevrolet Silverado, White) is ready for photos."
        ]
        assert fake_twilio.texts_to(detailer.phone) == []

    async def test_frontline_texts_sales_and_the_used_car_manager(
        self, sessions: Sessions, notifier_settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        store = await quiet_free_store(sessions)
        sales = await make_staff(sessions, store, role="sales")
        manager = await make_staff(sessions, store, role="used_car_manager")
        service_manager = await make_staff(sessions, store, role="service_manager")
        unit = await make_unit(sessions, store, stage="photos", stock_number="5150")
        async with running_notifier(notifier_settings):
            event_id = await move(sessions, store, unit, "frontline")
            rows = await settled(sessions, notifier_settings, event_id)
        assert {row.staff_id for row in rows} == {sales.id, manager.id}
        assert fake_twilio.texts_to(sales.phone) == [
            "5150 (2019 Chevrolet Silverado, White) is frontline."
        ]
        assert fake_twilio.texts_to(service_manager.phone) == []

    async def test_sublet_sends_the_vendor_a_work_order(
        self, sessions: Sessions, notifier_settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        store = await quiet_free_store(sessions)
        glass = await make_staff(sessions, store, role="vendor", name="Ace Glass")
        body_shop = await make_staff(sessions, store, role="vendor", name="Dent Doctors")
        unit = await make_unit(
            sessions, store, stage="mechanical", stock_number="4410", exterior_color="Red"
        )
        async with sessions() as session, session.begin():
            fresh = await units.get_unit(session, store_id=store.id, ref=unit.id)
            await units.open_work_items(
                session, fresh, names=["windshield"], vendor="Ace Glass", cause=API_CAUSE
            )
        async with running_notifier(notifier_settings):
            event_id = await move(sessions, store, unit, "sublet")
            await settled(sessions, notifier_settings, event_id)
        assert fake_twilio.texts_to(glass.phone) == [
            "Work order: 4410 (2019 Chevrolet Silverado, Red): windshield. "
            'Text "4410 DONE" when finished.'
        ]
        assert fake_twilio.texts_to(body_shop.phone) == []

    async def test_approval_blocker_texts_both_managers(
        self, sessions: Sessions, notifier_settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        store = await quiet_free_store(sessions)
        used = await make_staff(sessions, store, role="used_car_manager")
        service = await make_staff(sessions, store, role="service_manager")
        tech = await make_staff(sessions, store, role="technician")
        unit = await make_unit(sessions, store, stage="mechanical", stock_number="8821")
        async with running_notifier(notifier_settings):
            event_id = await change(
                sessions,
                store,
                unit,
                units.block_unit,
                kind="approval",
                note="timing belt $900",
                eta=None,
                cause=by(tech),
            )
            await settled(sessions, notifier_settings, event_id)
        expected = [
            "8821 (2019 Chevrolet Silverado, White) needs approval: timing belt $900 "
            "(held in mechanical)."
        ]
        assert fake_twilio.texts_to(used.phone) == expected
        assert fake_twilio.texts_to(service.phone) == expected

    async def test_parts_cleared_texts_the_technician_who_last_worked_the_unit(
        self, sessions: Sessions, notifier_settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        store = await quiet_free_store(sessions)
        earlier_tech = await make_staff(sessions, store, role="technician")
        tech = await make_staff(sessions, store, role="technician")
        parts = await make_staff(sessions, store, role="parts")
        unit = await make_unit(sessions, store, stage="mechanical", stock_number="3300")
        await change(
            sessions, store, unit, units.add_note, body="pads worn", cause=by(earlier_tech)
        )
        await change(
            sessions, store, unit, units.open_work_items, names=["front brakes"], cause=by(tech)
        )
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
        async with running_notifier(notifier_settings):
            event_id = await change(sessions, store, unit, units.unblock_unit, cause=by(parts))
            rows = await settled(sessions, notifier_settings, event_id)
        assert [row.staff_id for row in rows] == [tech.id]
        assert fake_twilio.texts_to(tech.phone) == [
            "Parts are in for 3300 (2019 Chevrolet Silverado, White): it is unblocked in mechanical."
        ]

    async def test_acknowledgement_tells_whoever_made_the_last_change(
        self, sessions: Sessions, notifier_settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        store = await quiet_free_store(sessions)
        photographer = await make_staff(sessions, store, role="photographer")
        rob = await make_staff(sessions, store, role="sales", name="Rob")
        unit = await make_unit(sessions, store, stage="photos", stock_number="2231")
        await change(
            sessions, store, unit, units.complete_stage, stage="photos", cause=by(photographer)
        )
        async with running_notifier(notifier_settings):
            event_id = await change(sessions, store, unit, units.acknowledge_unit, cause=by(rob))
            await settled(sessions, notifier_settings, event_id)
        assert fake_twilio.texts_to(photographer.phone) == ["Rob saw 2231 is frontline."]
        assert fake_twilio.texts_to(rob.phone) == []

    async def test_overdue_texts_the_used_car_manager_once_per_stage_visit(
        self, sessions: Sessions, notifier_settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        store = await quiet_free_store(sessions)
        manager = await make_staff(sessions, store, role="used_car_manager")
        unit = await make_unit(sessions, store, stage="mechanical", stock_number="6060")

        async def age(days: float) -> None:
            async with sessions() as session, session.begin():
                await session.execute(
                    update(Unit)
                    .where(Unit.id == unit.id)
                    .values(stage_entered_at=datetime.now(UTC) - timedelta(days=days))
                )

        async def overdue_texts() -> list[Notification]:
            async with sessions() as session:
                query = select(Notification).where(
                    Notification.unit_id == unit.id, Notification.kind == "overdue"
                )
                return list((await session.scalars(query)).all())

        await age(3)
        for _ in range(2):  # a second check, or a second notifier copy, adds nothing
            await run_check(sessions, queue_overdue, settings=notifier_settings)
        first_visit = await overdue_texts()
        assert [row.staff_id for row in first_visit] == [manager.id]
        assert first_visit[0].body == (
            "6060 (2019 Chevrolet Silverado, White) is over target in mechanical: "
            "3.0 days (target 2 days)."
        )
        await move(sessions, store, unit, "inspection")
        await move(sessions, store, unit, "mechanical")
        await age(2.5)
        await run_check(sessions, queue_overdue, settings=notifier_settings)
        assert len(await overdue_texts()) == 2


class TestNeverText:
    async def test_never_texts_the_person_whose_text_caused_the_change(
        self, sessions: Sessions, notifier_settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        store = await quiet_free_store(sessions)
        moving = await make_staff(sessions, store, role="detailer")
        other = await make_staff(sessions, store, role="detailer")
        unit = await make_unit(sessions, store, stage="mechanical")
        async with running_notifier(notifier_settings):
            event_id = await change(
                sessions, store, unit, units.move_unit, to_stage="detail", cause=by(moving)
            )
            rows = await settled(sessions, notifier_settings, event_id)
        assert [row.staff_id for row in rows] == [other.id]
        assert fake_twilio.texts_to(moving.phone) == []

    async def test_never_texts_inactive_opted_out_or_invalid_numbers(
        self, sessions: Sessions, notifier_settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        store = await quiet_free_store(sessions)
        ok = await make_staff(sessions, store, role="detailer")
        flags = [{"active": False}, {"sms_opt_out": True}, {"phone_invalid": True}]
        barred = []
        for flag in flags:
            person = await make_staff(sessions, store, role="detailer")
            async with sessions() as session, session.begin():
                await session.execute(update(Staff).where(Staff.id == person.id).values(**flag))
            barred.append(person)
        unit = await make_unit(sessions, store, stage="mechanical")
        async with running_notifier(notifier_settings):
            event_id = await move(sessions, store, unit, "detail")
            rows = await settled(sessions, notifier_settings, event_id)
        assert [row.staff_id for row in rows] == [ok.id]
        assert all(fake_twilio.texts_to(person.phone) == [] for person in barred)


class TestQuietHours:
    def test_quiet_hours_wrap_midnight_in_the_store_time_zone(self) -> None:
        chicago = ZoneInfo("America/Chicago")
        night = datetime(2026, 3, 3, 22, 15, tzinfo=chicago)
        held = quiet_until(night, timezone="America/Chicago", start=time(20), end=time(7))
        assert held == datetime(2026, 3, 4, 7, 0, tzinfo=chicago)
        early = datetime(2026, 3, 4, 6, 59, tzinfo=chicago)
        assert quiet_until(early, timezone="America/Chicago", start=time(20), end=time(7)) == held
        day = datetime(2026, 3, 4, 7, 0, tzinfo=chicago)
        assert quiet_until(day, timezone="America/Chicago", start=time(20), end=time(7)) is None

    async def test_texts_in_quiet_hours_wait_until_they_end(
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
        unit = await make_unit(sessions, store, stage="mechanical")
        async with running_notifier(notifier_settings):
            event_id = await move(sessions, store, unit, "detail")
            rows = await wait_until(lambda: notifications_of(sessions, event_id))
        assert [row.status for row in rows] == ["pending"]
        expected = quiet_until(datetime.now(UTC), timezone=zone, start=start, end=end)
        assert rows[0].send_after == expected
        assert fake_twilio.texts_to(detailer.phone) == []


class TestBatching:
    async def test_several_events_for_one_person_within_the_window_are_one_text(
        self, sessions: Sessions, settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        config = configured(settings, fake_twilio, notify_batch_seconds=1.5)
        store = await quiet_free_store(sessions)
        detailer = await make_staff(sessions, store, role="detailer")
        first = await make_unit(sessions, store, stage="mechanical", stock_number="1001")
        second = await make_unit(sessions, store, stage="mechanical", stock_number="1002")
        async with running_notifier(config):
            one = await move(sessions, store, first, "detail")
            two = await move(sessions, store, second, "detail")
            rows = await settled(sessions, config, one) + await settled(sessions, config, two)
        assert len({row.message_id for row in rows}) == 1
        assert fake_twilio.texts_to(detailer.phone) == [
            "2 updates:\n"
            "- 1001 (2019 Chevrolet Silverado, White) is ready for detail.\n"
            "- 1002 (2019 Chevrolet Silverado, White) is ready for detail."
        ]


class TestEditedRules:
    async def test_a_store_with_its_own_rules_uses_them_instead_of_the_defaults(
        self, sessions: Sessions, notifier_settings: Settings, fake_twilio: FakeTwilio
    ) -> None:
        store = await quiet_free_store(sessions)
        porter = await make_staff(sessions, store, role="porter")
        detailer = await make_staff(sessions, store, role="detailer")
        async with sessions() as session, session.begin():
            await replace_rules(
                session,
                store.id,
                [RuleSpec("unit.stage_changed", stage="detail", staff_ids=(porter.id,))],
            )
        unit = await make_unit(sessions, store, stage="mechanical", stock_number="9090")
        async with running_notifier(notifier_settings):
            event_id = await move(sessions, store, unit, "detail")
            await settled(sessions, notifier_settings, event_id)
        assert fake_twilio.texts_to(porter.phone) == [
            "9090 (2019 Chevrolet Silverado, White) is ready for detail."
        ]
        assert fake_twilio.texts_to(detailer.phone) == []


async def test_a_store_with_an_enormous_stage_target_does_not_stop_the_overdue_check(
    sessions: Sessions, notifier_settings: Settings
) -> None:
    """The check covers every store in one query: one store's target too large for a Postgres
    interval (set before the API capped targets) must not fail it for all the others."""
    odd = await quiet_free_store(sessions, stage_targets_hours={"mechanical": 1e12, "detail": 24.0})
    await make_unit(sessions, odd, stage="mechanical")
    store = await quiet_free_store(sessions)
    manager = await make_staff(sessions, store, role="used_car_manager")
    unit = await make_unit(sessions, store, stage="mechanical")
    async with sessions() as session, session.begin():
        await session.execute(
            update(Unit)
            .where(Unit.id == unit.id)
            .values(stage_entered_at=datetime.now(UTC) - timedelta(days=3))
        )

    await run_check(sessions, queue_overdue, settings=notifier_settings)

    async with sessions() as session:
        query = select(Notification).where(
            Notification.unit_id == unit.id, Notification.kind == "overdue"
        )
        assert [row.staff_id for row in (await session.scalars(query)).all()] == [manager.id]
