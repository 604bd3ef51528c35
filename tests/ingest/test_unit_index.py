"""The per-store unit index the webhook interprets against stays current with the board."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ingest_sms.unit_index import UnitIndexCache
from recon.domain import units
from recon.events.types import VehicleFields
from recon.understanding import Context, SenderView, interpret
from tests.factories import API_CAUSE, make_staff, make_store, make_unit, random_vin
from tests.ingest.conftest import Phone

Sessions = async_sessionmaker[AsyncSession]


async def index_of(sessions: Sessions, cache: UnitIndexCache, store_id):  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return await cache.get(session, store_id)


class TestUnitIndexCache:
    async def test_a_change_on_the_board_is_seen_by_the_next_text(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, stage="detail", stock_number="2231")
        cache = UnitIndexCache()
        first = await index_of(sessions, cache, store.id)
        assert first.unit(str(unit.id)).stage == "detail"
        assert await index_of(sessions, cache, store.id) is first  # nothing changed: reused

        async with sessions() as session, session.begin():
            loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
            await units.move_unit(session, loaded, to_stage="photos", cause=API_CAUSE)
        moved = await index_of(sessions, cache, store.id)

        assert moved.unit(str(unit.id)).stage == "photos"
        detailer = SenderView(id="s", name="Luis", role="detailer")
        context = Context(recent_unit_ids=(), now=units.now())
        done = interpret("2231 done", index=moved, sender=detailer, context=context)
        assert [c.unit_id for c in done.commands] == [str(unit.id)]

    async def test_new_and_removed_cars_are_named_correctly(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        gone = await make_unit(sessions, store, stock_number="7710")
        cache = UnitIndexCache()
        await index_of(sessions, cache, store.id)

        added = await make_unit(sessions, store, stock_number="8820")
        async with sessions() as session, session.begin():
            loaded = await units.get_unit(session, store_id=store.id, ref=gone.id)
            await units.remove_unit(session, loaded, reason="sold at auction", cause=API_CAUSE)
        index = await index_of(sessions, cache, store.id)

        tech = SenderView(id="s", name="Mike", role="technician")
        context = Context(recent_unit_ids=(), now=units.now())
        found = interpret("8820 needs wipers", index=index, sender=tech, context=context)
        assert [c.unit_id for c in found.commands] == [str(added.id)]
        missing = interpret("7710 needs wipers", index=index, sender=tech, context=context)
        assert missing.commands == [] and "7710" in missing.unknown_numbers


class TestTextsSeeTheBoardAsItIs:
    """Through the webhook: after texts warmed its cached index, changes made another way (the
    API's domain calls, the inventory feed) are what the next text is understood against."""

    async def test_a_move_an_arrival_and_a_removal_elsewhere_are_seen(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        tech = await make_staff(sessions, store, role="used_car_manager", name="Dana")
        car = await make_unit(sessions, store, stage="detail", stock_number="2231")
        leaving = await make_unit(sessions, store, stage="detail", stock_number="7710")

        async def text(body: str) -> str:
            reply = await phone.text(from_number=tech.phone, to_number=store.sms_number, body=body)
            assert reply is not None
            return reply

        # Warm: the index of this store is cached at its current seq.
        assert "note added" in await text("2231 note: waxed")
        assert "note added" in await text("7710 note: waxed")

        async with sessions() as session, session.begin():
            loaded = await units.get_unit(session, store_id=store.id, ref=car.id)
            await units.move_unit(session, loaded, to_stage="photos", cause=API_CAUSE)
            gone = await units.get_unit(session, store_id=store.id, ref=leaving.id)
            await units.remove_unit(session, gone, reason="sold at auction", cause=API_CAUSE)
        await make_unit(sessions, store, stage="detail", stock_number="8820")

        # A manager's "done" is read against the car's stage in the index: photos, not detail.
        assert "photos done" in await text("2231 done")
        assert "8820" in await text("8820 needs wipers") and "No car" not in (
            await text("8820 note: ok")
        )
        assert "No car 7710" in await text("7710 needs wipers")

    async def test_a_car_added_while_a_text_waited_for_the_store_is_named_by_the_next(
        self, phone: Phone, sessions: Sessions
    ) -> None:
        """A text takes the store's lock in the statement that reads its sender and what
        changed for the cached index. When that lock waited for a change still being written,
        the index must not be counted as up to date with it."""
        store = await make_store(sessions)
        manager = await make_staff(sessions, store, role="used_car_manager", name="Dana")
        await make_unit(sessions, store, stage="detail", stock_number="2231")

        async def text(body: str) -> str:
            reply = await phone.text(
                from_number=manager.phone, to_number=store.sms_number, body=body
            )
            assert reply is not None
            return reply

        assert "note added" in await text("2231 note: waxed")  # the index is cached

        async with sessions() as session, session.begin():
            await units.create_unit(
                session,
                store_id=store.id,
                vehicle=VehicleFields(vin=random_vin(), stock_number="8820", year=2020),
                cause=API_CAUSE,
            )  # the store's lock is held until this commits
            waiting = asyncio.create_task(text("2231 note: while 8820 arrived"))
            await asyncio.sleep(0.3)
            assert not waiting.done()
        assert "note added" in await waiting

        assert "8820" in (reply := await text("8820 note: here")) and "No car" not in reply
