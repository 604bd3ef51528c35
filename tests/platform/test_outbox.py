"""Events leave through the outbox: exactly once per committed change, none for a rollback,
none lost while NATS is down, no duplicates with several relays."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon.db.models import Outbox, Unit, UnitEvent
from recon.devstack.servers import EmbeddedNats
from recon.domain import units
from recon.domain.errors import StaleUnit
from recon.messaging.jetstream import connect
from recon.settings import Settings
from tests.eventing import running_relay, wait_for_events
from tests.factories import API_CAUSE, make_store, make_unit


@pytest.fixture
async def nats_client(settings: Settings):  # type: ignore[no-untyped-def]
    nc = await connect(settings.nats_url, name="test-reader")
    yield nc
    await nc.close()


class TestCommittedChange:
    async def test_yields_exactly_one_event_with_envelope_and_subject(
        self, sessions: async_sessionmaker[AsyncSession], settings: Settings, nats_client
    ) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, stage="detail")
        async with running_relay(settings.asyncpg_dsn, settings.nats_url):
            async with sessions() as session, session.begin():
                unit = await units.get_unit(session, store_id=store.id, ref=unit.id)
                await units.complete_stage(session, unit, stage="detail", cause=API_CAUSE)
            events = await wait_for_events(nats_client, store.slug, 3)

        stage_events = [e for e in events if e.type == "recon.unit.stage_changed"]
        moved_to_photos = [e for e in stage_events if e.data["to_stage"] == "photos"]
        assert len(moved_to_photos) == 1
        event = moved_to_photos[0]
        assert event.specversion == "1.0"
        assert event.source == "recon/tests"
        assert event.subject == str(unit.id)
        assert event.store == store.slug
        assert event.datacontenttype == "application/json"
        assert event.data["from_stage"] == "detail"
        assert event.data["reason"] == "done"
        # created, moved to detail, done → three events, numbered in order
        assert [e.seq for e in events] == [1, 2, 3]
        logged = [e.id for e in events]
        async with sessions() as session:
            rows = (
                (
                    await session.execute(
                        select(UnitEvent.id)
                        .where(UnitEvent.store_id == store.id)
                        .order_by(UnitEvent.seq)
                    )
                )
                .scalars()
                .all()
            )
        assert rows == logged

    async def test_subject_names_store_and_type(
        self, sessions: async_sessionmaker[AsyncSession], settings: Settings
    ) -> None:
        store = await make_store(sessions)
        await make_unit(sessions, store)
        nc = await connect(settings.nats_url, name="test-subject")
        subscription = await nc.subscribe(f"recon.{store.slug}.unit.created")
        try:
            async with running_relay(settings.asyncpg_dsn, settings.nats_url):
                msg = await subscription.next_msg(timeout=10)
            assert msg.headers is not None
            assert msg.headers["Nats-Msg-Id"] in msg.data.decode()
        finally:
            await nc.close()

    async def test_rolled_back_change_yields_nothing(
        self, sessions: async_sessionmaker[AsyncSession], settings: Settings, nats_client
    ) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, stage="mechanical")
        with pytest.raises(RuntimeError):
            async with sessions() as session, session.begin():
                loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
                await units.move_unit(session, loaded, to_stage="detail", cause=API_CAUSE)
                raise RuntimeError("the request failed after the change")
        async with running_relay(settings.asyncpg_dsn, settings.nats_url):
            events = await wait_for_events(nats_client, store.slug, 3, timeout=3)
        assert [e.data.get("to_stage") for e in events if e.type.endswith("stage_changed")] == [
            "mechanical"
        ]
        async with sessions() as session:
            reloaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
        assert reloaded.stage == "mechanical"


class TestPublishedRows:
    async def test_are_deleted_even_when_nothing_else_is_committed(
        self, sessions: async_sessionmaker[AsyncSession], settings: Settings, nats_client
    ) -> None:
        store = await make_store(sessions)
        async with running_relay(settings.asyncpg_dsn, settings.nats_url, poll_seconds=60):
            await make_unit(sessions, store)
            assert len(await wait_for_events(nats_client, store.slug, 1)) == 1

            async def waiting() -> int:
                async with sessions() as session:
                    count = await session.scalar(
                        select(func.count()).select_from(Outbox).where(Outbox.store_id == store.id)
                    )
                return count or 0

            # No poll comes to delete it (60 s): the relay does not leave it behind.
            async with asyncio.timeout(15):
                while await waiting():
                    await asyncio.sleep(0.05)

    async def test_the_relay_vacuums_the_outbox_as_rows_are_deleted(
        self, sessions: async_sessionmaker[AsyncSession], settings: Settings, nats_client
    ) -> None:
        async def vacuums() -> int:
            async with sessions() as session:
                count = await session.scalar(
                    text("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'outbox'")
                )
            return int(count or 0)

        store = await make_store(sessions)
        before = await vacuums()
        async with running_relay(settings.asyncpg_dsn, settings.nats_url, vacuum_every=3):
            for _ in range(4):
                await make_unit(sessions, store)
            assert len(await wait_for_events(nats_client, store.slug, 4)) == 4
            async with asyncio.timeout(15):
                while await vacuums() == before:
                    await asyncio.sleep(0.1)

    async def test_its_vacuum_never_waits_behind_another(
        self, sessions: async_sessionmaker[AsyncSession], settings: Settings, nats_client
    ) -> None:
        store = await make_store(sessions)
        async with (
            sessions() as holder,
            running_relay(settings.asyncpg_dsn, settings.nats_url, vacuum_every=1),
        ):
            # What ANALYZE, another VACUUM or an index build hold on the table.
            await holder.execute(text("LOCK TABLE outbox IN SHARE UPDATE EXCLUSIVE MODE"))
            for _ in range(3):
                await make_unit(sessions, store)
            # Each read is followed by a VACUUM that would wait for the lock above.
            assert len(await wait_for_events(nats_client, store.slug, 3, timeout=5)) == 3
            await holder.rollback()


class TestNatsOutage:
    async def test_changes_made_while_nats_is_down_arrive_exactly_once(
        self, sessions: async_sessionmaker[AsyncSession], settings: Settings, tmp_path
    ) -> None:
        nats = EmbeddedNats(tmp_path / "nats").start()
        store = await make_store(sessions)
        unit = await make_unit(sessions, store)
        try:
            async with running_relay(
                settings.asyncpg_dsn, nats.url, publish_timeout=1.0, max_backoff=0.5
            ):
                reader = await connect(nats.url, name="test-outage")
                assert len(await wait_for_events(reader, store.slug, 1)) == 1
                nats.stop()
                stages = ["inspection", "mechanical", "detail", "photos", "frontline"]
                for stage in stages:
                    async with sessions() as session, session.begin():
                        loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
                        await units.move_unit(session, loaded, to_stage=stage, cause=API_CAUSE)
                await asyncio.sleep(1.5)  # the relay tries and fails meanwhile
                async with sessions() as session:
                    waiting = await session.scalar(
                        select(func.count()).select_from(Outbox).where(Outbox.store_id == store.id)
                    )
                assert waiting == len(stages)
                nats.start()
                events = await wait_for_events(reader, store.slug, 1 + len(stages), timeout=30)
                await reader.close()
        finally:
            nats.stop()
        assert [e.data.get("to_stage") for e in events[1:]] == stages
        assert len({e.id for e in events}) == len(events) == 1 + len(stages)


class TestSeveralRelays:
    async def test_two_relays_deliver_no_duplicate(
        self, sessions: async_sessionmaker[AsyncSession], settings: Settings, nats_client
    ) -> None:
        store = await make_store(sessions)
        made = 40
        async with (
            running_relay(settings.asyncpg_dsn, settings.nats_url) as first,
            running_relay(settings.asyncpg_dsn, settings.nats_url) as second,
        ):
            both_active_seen = False

            async def watch() -> None:
                nonlocal both_active_seen
                while True:
                    both_active_seen |= first.active and second.active
                    await asyncio.sleep(0.005)

            watcher = asyncio.create_task(watch())
            for _ in range(made):
                await make_unit(sessions, store)
            events = await wait_for_events(nats_client, store.slug, made)
            watcher.cancel()
        assert not both_active_seen, "two relays published at the same time"
        assert len(events) == made
        assert len({e.id for e in events}) == made
        assert [e.seq for e in events] == list(range(1, made + 1))


async def _two_writers_at_once(
    sessions: async_sessionmaker[AsyncSession],
    unit: Unit,
    change: Callable[[AsyncSession, Unit, str], Awaitable[None]],
    arguments: tuple[str, str],
) -> list[str]:
    """Two transactions load the unit, then both change it: "ok" or "conflict" for each."""
    both_loaded = asyncio.Barrier(2)

    async def writer(argument: str) -> str:
        try:
            async with sessions() as session, session.begin():
                loaded = await units.get_unit(session, store_id=unit.store_id, ref=unit.id)
                await both_loaded.wait()
                await change(session, loaded, argument)
        except StaleUnit:
            return "conflict"
        return "ok"

    return list(await asyncio.gather(*(writer(argument) for argument in arguments)))


class TestConcurrentWriters:
    async def test_one_wins_the_other_gets_a_clear_conflict(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, stage="mechanical")

        async def move(session: AsyncSession, loaded: Unit, to_stage: str) -> None:
            await units.move_unit(session, loaded, to_stage=to_stage, cause=API_CAUSE)

        results = await _two_writers_at_once(sessions, unit, move, ("detail", "sublet"))
        assert sorted(results) == ["conflict", "ok"]
        async with sessions() as session:
            final = await units.get_unit(session, store_id=store.id, ref=unit.id)
        winner = "detail" if results[0] == "ok" else "sublet"
        assert final.stage == winner
        assert final.version == unit.version + 1

    async def test_two_notes_at_once_one_is_added_the_other_conflicts(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store)

        async def note(session: AsyncSession, loaded: Unit, body: str) -> None:
            await units.add_note(session, loaded, body=body, cause=API_CAUSE)

        results = await _two_writers_at_once(sessions, unit, note, ("first", "second"))
        assert sorted(results) == ["conflict", "ok"]
        async with sessions() as session:
            final = await units.get_unit(session, store_id=store.id, ref=unit.id)
        assert [note.body for note in final.notes] == ["first" if results[0] == "ok" else "second"]
        assert final.version == unit.version + 1

    async def test_a_note_then_a_move_in_one_transaction_both_land(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, stage="mechanical")
        async with sessions() as session, session.begin():
            loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
            note = await units.add_note(session, loaded, body="brakes", cause=API_CAUSE)
            assert loaded.notes == [note]
            await units.move_unit(session, loaded, to_stage="detail", cause=API_CAUSE)
        async with sessions() as session:
            final = await units.get_unit(session, store_id=store.id, ref=unit.id)
        assert (final.stage, final.version) == ("detail", unit.version + 2)
        assert [n.body for n in final.notes] == ["brakes"]

    async def test_stale_expected_version_is_refused(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store)
        with pytest.raises(StaleUnit, match="changed since version"):
            async with sessions() as session, session.begin():
                loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
                await units.move_unit(
                    session,
                    loaded,
                    to_stage="detail",
                    cause=API_CAUSE,
                    expected_version=unit.version - 1,
                )
