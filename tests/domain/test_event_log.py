"""Events appended by a transaction that defers them: written at its commit, in order."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon.db.models import Outbox, Staff, Store, UnitEvent
from recon.domain import units
from recon.domain.event_log import RowWrite, defer_events, queue_with_events
from tests.factories import API_CAUSE, make_staff, make_store, make_unit

Sessions = async_sessionmaker[AsyncSession]


async def logged(sessions: Sessions, store_id):  # type: ignore[no-untyped-def]
    async with sessions() as session:
        events = (
            await session.execute(
                select(UnitEvent).where(UnitEvent.store_id == store_id).order_by(UnitEvent.seq)
            )
        ).scalars()
        outbox = (
            await session.execute(select(Outbox).where(Outbox.store_id == store_id))
        ).scalars()
        seq = await session.scalar(select(Store.last_event_seq).where(Store.id == store_id))
        return list(events), {row.event_id: row.payload for row in outbox}, seq


class TestDeferredEvents:
    async def test_written_at_commit_numbered_in_the_order_appended(
        self, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, stage="detail")
        before, _, seq_before = await logged(sessions, store.id)

        async with sessions() as session, session.begin():
            defer_events(session)
            loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
            await units.add_note(session, loaded, body="first", cause=API_CAUSE)
            await units.move_unit(session, loaded, to_stage="photos", cause=API_CAUSE)
            await units.add_note(session, loaded, body="last", cause=API_CAUSE)
            # Nothing is written until the commit.
            mid = await session.scalar(select(Store.last_event_seq).where(Store.id == store.id))
            assert mid == seq_before

        events, outbox, seq = await logged(sessions, store.id)
        added = events[len(before) :]
        assert [e.type for e in added] == ["note.added", "unit.stage_changed", "note.added"]
        assert [e.seq for e in added] == [seq_before + 1, seq_before + 2, seq_before + 3]
        assert seq == seq_before + 3
        assert [e.data["body"] for e in added if e.type == "note.added"] == ["first", "last"]
        # Each has its outbox row, carrying the same number.
        assert [outbox[e.id]["seq"] for e in added] == [e.seq for e in added]
        # The versions are the unit's after each change.
        assert [e.data["version"] for e in added] == [
            unit.version + 1,
            unit.version + 2,
            unit.version + 3,
        ]

    async def test_a_rollback_drops_them(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store)
        before, _, seq_before = await logged(sessions, store.id)

        with pytest.raises(RuntimeError):
            async with sessions() as session, session.begin():
                defer_events(session)
                loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
                await units.add_note(session, loaded, body="never", cause=API_CAUSE)
                raise RuntimeError("changed our mind")

        events, _, seq = await logged(sessions, store.id)
        assert (len(events), seq) == (len(before), seq_before)

    async def test_a_later_transaction_of_the_session_writes_at_once(
        self, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store)
        _, _, seq_before = await logged(sessions, store.id)

        async with sessions() as session:
            async with session.begin():
                defer_events(session)
                loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
                await units.add_note(session, loaded, body="deferred", cause=API_CAUSE)
            async with session.begin():
                loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
                await units.add_note(session, loaded, body="at once", cause=API_CAUSE)
                seq = await session.scalar(select(Store.last_event_seq).where(Store.id == store.id))
                assert seq == seq_before + 2


class TestRowsWrittenWithEvents:
    """`queue_with_events`: a text's reply goes to Postgres in its events' statement."""

    @staticmethod
    def staff_name_update(first: int) -> str:
        return f"UPDATE staff SET name = ${first + 1} WHERE id = ${first}"

    @staticmethod
    def role_and_name_update(first: int) -> str:
        return f"UPDATE staff SET role = ${first}, name = ${first + 1} WHERE id = ${first + 2}"

    async def test_written_at_commit_each_with_its_own_values(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store)
        tech = await make_staff(sessions, store, name="Before")
        porter = await make_staff(sessions, store, name="Before")
        _, _, seq_before = await logged(sessions, store.id)

        async with sessions() as session, session.begin():
            defer_events(session)
            loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
            await units.add_note(session, loaded, body="with rows", cause=API_CAUSE)
            # Two writes with different numbers of values: each reads its own parameters.
            renames = (
                RowWrite(self.staff_name_update, (tech.id, "Tech")),
                RowWrite(self.role_and_name_update, ("porter", "Porter", porter.id)),
            )
            assert queue_with_events(session, *renames)
            assert await name_of(session, tech.id) == "Before"  # not yet: at commit

        async with sessions() as session:
            assert await name_of(session, tech.id) == "Tech"
            assert await name_of(session, porter.id) == "Porter"
        _, _, seq = await logged(sessions, store.id)
        assert seq == seq_before + 1

    async def test_a_rollback_drops_them(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        tech = await make_staff(sessions, store, name="Before")

        with pytest.raises(RuntimeError):
            async with sessions() as session, session.begin():
                defer_events(session)
                queue_with_events(session, RowWrite(self.staff_name_update, (tech.id, "Never")))
                raise RuntimeError("changed our mind")

        async with sessions() as session:
            assert await name_of(session, tech.id) == "Before"

    async def test_a_savepoint_open_at_the_commit_does_not_drop_them(
        self, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store)
        tech = await make_staff(sessions, store, name="Before")
        _, _, seq_before = await logged(sessions, store.id)

        async with sessions() as session, session.begin():
            defer_events(session)
            loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
            await units.add_note(session, loaded, body="queued", cause=API_CAUSE)
            queue_with_events(session, RowWrite(self.staff_name_update, (tech.id, "After")))
            await session.begin_nested()  # left open: it commits with the root

        async with sessions() as session:
            assert await name_of(session, tech.id) == "After"
        _, _, seq = await logged(sessions, store.id)
        assert seq == seq_before + 1

    async def test_without_events_they_are_still_written(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        tech = await make_staff(sessions, store, name="Before")

        async with sessions() as session, session.begin():
            defer_events(session)
            assert queue_with_events(session, RowWrite(self.staff_name_update, (tech.id, "Solo")))

        async with sessions() as session:
            assert await name_of(session, tech.id) == "Solo"

    async def test_a_transaction_that_does_not_defer_leaves_them_to_the_caller(
        self, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        tech = await make_staff(sessions, store, name="Before")

        async with sessions() as session, session.begin():
            assert not queue_with_events(
                session, RowWrite(self.staff_name_update, (tech.id, "Never"))
            )

        async with sessions() as session:
            assert await name_of(session, tech.id) == "Before"


async def name_of(session: AsyncSession, staff_id: object) -> str | None:
    return await session.scalar(select(Staff.name).where(Staff.id == staff_id))
