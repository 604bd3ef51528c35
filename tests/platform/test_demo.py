"""`make run`'s demo data: a store, staff and 40 units spread over the stages, with history."""

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon.db.models import Staff, Store, Unit, UnitEvent
from recon.devstack.demo import SPREAD, seed_demo


async def test_demo_store_is_seeded_once_with_units_in_every_stage(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first = await seed_demo(sessions, sms_number="+15125550199")
    again = await seed_demo(sessions, sms_number="+15125550199")
    assert first.created and not again.created
    assert again.board_token == first.board_token
    async with sessions() as session:
        store = await session.scalar(select(Store).where(Store.slug == first.slug))
        assert store is not None
        stages = Counter(
            (await session.execute(select(Unit.stage).where(Unit.store_id == store.id))).scalars()
        )
        staff = await session.scalar(
            select(func.count()).select_from(Staff).where(Staff.store_id == store.id)
        )
        oldest_event = await session.scalar(
            select(func.min(UnitEvent.created_at)).where(UnitEvent.store_id == store.id)
        )
        newest_event = await session.scalar(
            select(func.max(UnitEvent.created_at)).where(UnitEvent.store_id == store.id)
        )
    assert stages == {stage.value: count for stage, count in SPREAD.items()}
    assert sum(stages.values()) == 40
    assert staff is not None and staff >= 8
    assert oldest_event is not None and newest_event is not None
    assert (newest_event - oldest_event).days >= 3  # a few days of history
