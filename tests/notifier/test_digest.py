"""The morning standup: its content on a known store, once per manager per day."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.digest import digest_event_id, queue_due_digests
from notifier.workers import run_check
from recon.db.models import Notification, Unit, UnitEvent
from recon.domain import units
from recon.settings import Settings
from tests.factories import API_CAUSE, make_staff, make_unit
from tests.fake_twilio import FakeTwilio
from tests.notifier.conftest import finished, quiet_free_store
from tests.notifier.test_delivery import sending

Sessions = async_sessionmaker[AsyncSession]
ZONE = "America/Chicago"


async def test_digest_reports_the_lot_to_each_manager_once(
    sessions: Sessions, notifier_settings: Settings, fake_twilio: FakeTwilio
) -> None:
    local_now = datetime.now(ZoneInfo(ZONE))
    one_minute_ago = local_now - timedelta(minutes=1)
    digest_time = one_minute_ago.time() if one_minute_ago.date() == local_now.date() else time(0)
    store = await quiet_free_store(
        sessions,
        name="Lone Star Motors",
        timezone=ZONE,
        digest_time=digest_time.replace(microsecond=0),
        holding_cost_per_day=Decimal(35),
    )
    used = await make_staff(sessions, store, role="used_car_manager")
    service = await make_staff(sessions, store, role="service_manager")
    sales = await make_staff(sessions, store, role="sales")

    await make_unit(sessions, store, stage="intake")
    waiting_parts = await make_unit(sessions, store, stage="mechanical")
    late = await make_unit(sessions, store, stage="mechanical")
    needs_approval = await make_unit(sessions, store, stage="detail")
    frontline = await make_unit(sessions, store, stage="frontline")
    await make_unit(sessions, store, stage="sold")
    async with sessions() as session, session.begin():
        for unit, kind in ((waiting_parts, "parts"), (needs_approval, "approval")):
            fresh = await units.get_unit(session, store_id=store.id, ref=unit.id)
            await units.block_unit(session, fresh, kind=kind, note=None, eta=None, cause=API_CAUSE)
        now = datetime.now(UTC)
        await session.execute(
            update(Unit).where(Unit.id == late.id).values(stage_entered_at=now - timedelta(days=3))
        )
        # It reached frontline yesterday at noon, four days after it arrived.
        yesterday_noon = datetime.combine(
            local_now.date() - timedelta(days=1), time(12), tzinfo=ZoneInfo(ZONE)
        )
        await session.execute(
            update(UnitEvent)
            .where(UnitEvent.unit_id == frontline.id, UnitEvent.type == "unit.stage_changed")
            .values(created_at=yesterday_noon)
        )
        await session.execute(
            update(Unit)
            .where(Unit.id == frontline.id)
            .values(received_at=yesterday_noon - timedelta(days=4))
        )

    for _ in range(2):  # two notifier copies checking at once queue it once
        await run_check(sessions, queue_due_digests, settings=notifier_settings)
    event_id = digest_event_id(store.id, local_now.date())
    async with sending(sessions, notifier_settings):
        rows = await finished(sessions, event_id)

    assert {row.staff_id for row in rows} == {used.id, service.id}
    today = local_now.date()
    expected = "\n".join(
        [
            f"Standup Lone Star Motors, {today.strftime('%a %b')} {today.day}",
            "Units: intake 1, inspection 0, mechanical 2, sublet 0, detail 1, photos 0, frontline 1",
            "Blocked: approval 1, parts 1",
            "Over target: 1",
            "Reached frontline yesterday: 1",
            "Avg days to frontline: 4",
            "Holding cost today: $140",
            f"Board: {notifier_settings.board_base_url}/board/{store.board_token}",
        ]
    )
    assert fake_twilio.texts_to(used.phone) == [expected]
    assert fake_twilio.texts_to(service.phone) == [expected]
    assert fake_twilio.texts_to(sales.phone) == []


async def test_no_digest_before_the_store_digest_time(
    sessions: Sessions, notifier_settings: Settings
) -> None:
    local_now = datetime.now(ZoneInfo(ZONE))
    later = local_now + timedelta(hours=2)
    if later.date() != local_now.date():
        later = local_now.replace(hour=23, minute=59)
    store = await quiet_free_store(
        sessions, timezone=ZONE, digest_time=later.time().replace(microsecond=0)
    )
    await make_staff(sessions, store, role="used_car_manager")
    await run_check(sessions, queue_due_digests, settings=notifier_settings)
    async with sessions() as session:
        queued = await session.scalar(
            select(Notification.id).where(
                Notification.event_id == digest_event_id(store.id, local_now.date())
            )
        )
    assert queued is None
