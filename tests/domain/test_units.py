"""Every state change through the shared domain functions, against real Postgres."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon import understanding
from recon.db.models import Outbox, UnitEvent
from recon.domain import units
from recon.domain.errors import AlreadyPast, InvalidChange, NotFound
from recon.domain.event_log import defer_events
from recon.domain.sms import apply_unit_command
from tests.factories import API_CAUSE, INVENTORY_CAUSE, make_store, make_unit

Sessions = async_sessionmaker[AsyncSession]


async def change(sessions: Sessions, store_id, unit_id, action, **kwargs):  # type: ignore[no-untyped-def]
    async with sessions() as session, session.begin():
        unit = await units.get_unit(session, store_id=store_id, ref=unit_id)
        return await action(session, unit, cause=API_CAUSE, **kwargs)


async def reload(sessions: Sessions, store_id, unit_id):  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return await units.get_unit(session, store_id=store_id, ref=unit_id)


async def event_types(sessions: Sessions, unit_id) -> list[str]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        rows = await session.execute(
            select(UnitEvent.type).where(UnitEvent.unit_id == unit_id).order_by(UnitEvent.seq)
        )
        return list(rows.scalars())


class TestDone:
    async def test_inspection_with_work_found_goes_to_mechanical(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, stage="inspection")
        await change(
            sessions, store.id, unit.id, units.open_work_items, names=["front brakes", "2 tires"]
        )
        await change(sessions, store.id, unit.id, units.complete_stage, stage="inspection")
        assert (await reload(sessions, store.id, unit.id)).stage == "mechanical"

    async def test_inspection_with_nothing_found_skips_mechanical(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, stage="inspection")
        await change(sessions, store.id, unit.id, units.complete_stage, stage="inspection")
        assert (await reload(sessions, store.id, unit.id)).stage == "detail"

    async def test_done_never_moves_backwards(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, stage="photos")
        with pytest.raises(AlreadyPast, match="in photos"):
            await change(sessions, store.id, unit.id, units.complete_stage, stage="detail")
        after = await reload(sessions, store.id, unit.id)
        assert (after.stage, after.version) == ("photos", unit.version)

    async def test_done_for_a_stage_not_reached_is_refused(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, stage="mechanical")
        with pytest.raises(InvalidChange, match="not reached photos"):
            await change(sessions, store.id, unit.id, units.complete_stage, stage="photos")

    async def test_sublet_returns_to_detail(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, stage="sublet")
        await change(sessions, store.id, unit.id, units.complete_stage, stage="sublet")
        assert (await reload(sessions, store.id, unit.id)).stage == "detail"


class TestBlockers:
    async def test_block_and_clear_parts(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, stage="mechanical")
        eta = date(2026, 12, 4)
        await change(
            sessions, store.id, unit.id, units.block_unit, kind="parts", note="brake pads", eta=eta
        )
        blocked = await reload(sessions, store.id, unit.id)
        assert (blocked.blocker_kind, blocked.blocker_note, blocked.blocker_eta) == (
            "parts",
            "brake pads",
            eta,
        )
        assert blocked.stage == "mechanical"
        await change(sessions, store.id, unit.id, units.unblock_unit, kind="parts")
        assert (await reload(sessions, store.id, unit.id)).blocker_kind is None
        assert (await event_types(sessions, unit.id))[-2:] == ["unit.blocked", "unit.unblocked"]

    async def test_clearing_the_wrong_kind_is_refused(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store)
        await change(
            sessions, store.id, unit.id, units.block_unit, kind="approval", note=None, eta=None
        )
        with pytest.raises(InvalidChange, match="blocked on approval"):
            await change(sessions, store.id, unit.id, units.unblock_unit, kind="parts")


class TestWorkItems:
    async def test_open_then_complete_by_name(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, stage="mechanical")
        await change(sessions, store.id, unit.id, units.open_work_items, names=["Front brakes"])
        await change(sessions, store.id, unit.id, units.complete_work_item, name="front  brakes")
        items = (await reload(sessions, store.id, unit.id)).work_items
        assert [(i.name, i.status) for i in items] == [("Front brakes", "done")]

    async def test_opening_twice_does_not_double(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store)
        await change(sessions, store.id, unit.id, units.open_work_items, names=["alignment"])
        await change(sessions, store.id, unit.id, units.open_work_items, names=["alignment"])
        assert len((await reload(sessions, store.id, unit.id)).work_items) == 1

    async def test_completing_unknown_work_records_it_done(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, stage="mechanical")
        await change(sessions, store.id, unit.id, units.complete_work_item, name="oil change")
        items = (await reload(sessions, store.id, unit.id)).work_items
        assert [(i.name, i.status) for i in items] == [("oil change", "done")]
        assert (await event_types(sessions, unit.id))[-2:] == ["work_item.opened", "work_item.done"]


class TestNotesWeOweAcks:
    async def test_each_is_recorded_with_an_event_and_outbox_row(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, stage="frontline")
        await change(sessions, store.id, unit.id, units.add_note, body="customer wants tint")
        owed = await change(sessions, store.id, unit.id, units.add_we_owe, item="second key")
        await change(sessions, store.id, unit.id, units.complete_we_owe, we_owe_id=owed.id)
        await change(sessions, store.id, unit.id, units.acknowledge_unit)
        after = await reload(sessions, store.id, unit.id)
        assert [n.body for n in after.notes] == ["customer wants tint"]
        assert [(w.item, w.status) for w in after.we_owe] == [("second key", "done")]
        assert [(a.by, a.stage) for a in after.acks] == [("test client", "frontline")]
        types = await event_types(sessions, unit.id)
        assert types[-4:] == ["note.added", "we_owe.added", "we_owe.done", "unit.acknowledged"]
        async with sessions() as session:
            outboxed = (
                (await session.execute(select(Outbox.event_id).where(Outbox.store_id == store.id)))
                .scalars()
                .all()
            )
            logged = (
                (await session.execute(select(UnitEvent.id).where(UnitEvent.store_id == store.id)))
                .scalars()
                .all()
            )
        # No relay runs in this test: every logged event is still waiting in the outbox.
        assert sorted(outboxed) == sorted(logged)


class TestInventory:
    async def test_update_reports_changes_and_identical_is_silent(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, mileage=100)
        vehicle = units.ev.VehicleFields(
            vin=unit.vin,
            stock_number=unit.stock_number,
            year=unit.year,
            make=unit.make,
            model=unit.model,
            exterior_color=unit.exterior_color,
            mileage=150,
        )
        async with sessions() as session, session.begin():
            loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
            changes = await units.update_vehicle(
                session, loaded, vehicle=vehicle, cause=INVENTORY_CAUSE
            )
        assert {k: (c.old, c.new) for k, c in changes.items()} == {"mileage": (100, 150)}
        async with sessions() as session, session.begin():
            loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
            assert (
                await units.update_vehicle(session, loaded, vehicle=vehicle, cause=INVENTORY_CAUSE)
                == {}
            )
        assert await event_types(sessions, unit.id) == ["unit.created", "unit.updated"]

    async def test_removed_unit_is_kept_and_restored_when_it_returns(
        self, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store)
        async with sessions() as session, session.begin():
            loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
            await units.remove_unit(session, loaded, reason="left the feed", cause=INVENTORY_CAUSE)
        assert (await reload(sessions, store.id, unit.id)).removed_at is not None
        vehicle = units.ev.VehicleFields(
            vin=unit.vin,
            stock_number=unit.stock_number,
            year=unit.year,
            make=unit.make,
            model=unit.model,
            exterior_color=unit.exterior_color,
            mileage=unit.mileage,
        )
        async with sessions() as session, session.begin():
            loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
            changes = await units.update_vehicle(
                session, loaded, vehicle=vehicle, cause=INVENTORY_CAUSE
            )
        assert set(changes) == {"removed"}
        assert (await reload(sessions, store.id, unit.id)).removed_at is None


class TestBackdatedChanges:
    async def test_a_cause_with_a_time_records_the_change_then(self, sessions: Sessions) -> None:
        from datetime import UTC, datetime

        from recon.domain.event_log import Cause

        store = await make_store(sessions)
        unit = await make_unit(sessions, store)
        then = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)
        cause = Cause(actor=API_CAUSE.actor, source="api", service="tests", at=then)
        async with sessions() as session, session.begin():
            loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
            await units.move_unit(session, loaded, to_stage="inspection", cause=cause)
        moved = await reload(sessions, store.id, unit.id)
        assert moved.stage_entered_at == then
        async with sessions() as session:
            logged_at = await session.scalar(
                select(UnitEvent.created_at).where(
                    UnitEvent.unit_id == unit.id, UnitEvent.type == "unit.stage_changed"
                )
            )
        assert logged_at == then


class TestGetUnitWithoutChildren:
    async def test_loads_the_unit_once_per_session_collections_unread(
        self, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, stage="mechanical", stock_number="A77")
        async with sessions() as session, session.begin():
            bare = await units.get_unit(session, store_id=store.id, ref="a77", children=())
            assert (bare.id, bare.stage, bare.version) == (unit.id, "mechanical", unit.version)
            with pytest.raises(InvalidRequestError):
                _ = bare.notes  # not loaded: reading it raises, as an unloaded relationship
            again = await units.get_unit(session, store_id=store.id, ref=unit.id, children=())
            assert again is bare
            await units.move_unit(session, bare, to_stage="detail", cause=API_CAUSE)
        after = await reload(sessions, store.id, unit.id)
        assert (after.stage, after.version) == ("detail", unit.version + 1)

    async def test_an_unknown_unit_is_not_found(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        async with sessions() as session:
            with pytest.raises(NotFound):
                await units.get_unit(session, store_id=store.id, ref="nope", children=())


class TestAppendingByText:
    """`get_unit_to_append`: a text's note, we-owe item or acknowledgement reads its unit with
    the version bumped, and its row is written with the text's events."""

    async def test_each_change_bumps_once_and_logs_the_version_it_made(
        self, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, stage="detail")

        async with sessions() as session, session.begin():
            defer_events(session)
            for body in ("first", "second"):
                loaded = await units.get_unit_to_append(
                    session, store_id=store.id, unit_id=unit.id, at=units.now()
                )
                await units.add_note(session, loaded, body=body, cause=API_CAUSE)
            # A change of another kind to the same car, after them, in the same transaction.
            loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
            await units.move_unit(session, loaded, to_stage="photos", cause=API_CAUSE)

        async with sessions() as session:
            after = await units.get_unit(
                session, store_id=store.id, ref=unit.id, children=("notes",)
            )
            events = (
                await session.scalars(
                    select(UnitEvent).where(UnitEvent.unit_id == unit.id).order_by(UnitEvent.seq)
                )
            ).all()
        assert sorted(note.body for note in after.notes) == ["first", "second"]
        assert (after.stage, after.version) == ("photos", unit.version + 3)
        made_here = [e for e in events if e.data["version"] > unit.version]
        assert [(e.type, e.data["version"]) for e in made_here] == [
            ("note.added", unit.version + 1),
            ("note.added", unit.version + 2),
            ("unit.stage_changed", unit.version + 3),
        ]

    async def test_a_car_no_longer_on_the_board_is_not_found(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store)
        async with sessions() as session, session.begin():
            loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
            await units.remove_unit(session, loaded, reason="wholesaled", cause=API_CAUSE)

        with pytest.raises(NotFound):
            async with sessions() as session, session.begin():
                await units.get_unit_to_append(
                    session, store_id=store.id, unit_id=unit.id, at=units.now()
                )

    async def test_a_blank_note_by_text_leaves_the_car_untouched(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, stock_number="2231")
        blank = understanding.Note(unit_id=str(unit.id), stock_number="2231", body="  ")

        async with sessions() as session, session.begin():
            outcome = await apply_unit_command(
                session, store_id=store.id, command=blank, cause=API_CAUSE
            )

        assert outcome.refused
        async with sessions() as session:
            after = await units.get_unit(session, store_id=store.id, ref=unit.id)
        assert after.version == unit.version
