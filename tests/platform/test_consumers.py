"""Consuming events: a durable consumer redelivers a failed event a bounded number of times,
handlers run once per event id, and the fan-out form gives every subscriber every event."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon.domain import units
from recon.events import STREAM_NAME, CloudEvent, store_subjects, subject_for
from recon.messaging.consumers import first_delivery, run_durable_consumer, subscribe_fanout
from recon.messaging.jetstream import connect, ensure_stream
from recon.settings import Settings
from tests.eventing import running_relay
from tests.factories import API_CAUSE, make_store, make_unit

Sessions = async_sessionmaker[AsyncSession]


async def _until(condition, timeout: float = 15) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


async def _until_async(read, expected, timeout: float = 15) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while await read() != expected:
            await asyncio.sleep(0.05)


async def _filters_of(js: JetStreamContext, durable: str) -> list[str] | None:
    try:
        info = await js.consumer_info(STREAM_NAME, durable)
    except NotFoundError:
        return None
    return info.config.filter_subjects


class TestDurableConsumer:
    async def test_failed_event_is_redelivered_then_dropped_after_max_deliver(
        self, sessions: Sessions, settings: Settings
    ) -> None:
        store = await make_store(sessions)
        nc = await connect(settings.nats_url, name="test-durable")
        js = nc.jetstream()
        await ensure_stream(js)
        attempts: list[str] = []

        async def always_fails(event: CloudEvent) -> None:
            attempts.append(event.type)
            raise RuntimeError("handler bug")

        consumer = asyncio.create_task(
            run_durable_consumer(
                js,
                durable=f"test-{uuid.uuid4().hex[:8]}",
                subjects=[store_subjects(store.slug)],
                handler=always_fails,
                max_deliver=3,
            )
        )
        try:
            await asyncio.sleep(0.3)  # the consumer starts at new events
            async with running_relay(settings.asyncpg_dsn, settings.nats_url):
                await make_unit(sessions, store)
                await _until(lambda: len(attempts) >= 3)
                await asyncio.sleep(4)  # a fourth delivery would come within the back-off
        finally:
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer
            await nc.close()
        assert attempts == ["recon.unit.created"] * 3

    async def test_only_events_on_its_subjects_reach_it_even_when_it_existed_before(
        self, sessions: Sessions, settings: Settings
    ) -> None:
        store = await make_store(sessions)
        nc = await connect(settings.nats_url, name="test-filtered")
        js = nc.jetstream()
        await ensure_stream(js)
        durable = f"test-{uuid.uuid4().hex[:8]}"
        seen: list[str] = []

        async def collect(event: CloudEvent) -> None:
            seen.append(event.type)

        async def consuming(subjects: list[str]) -> asyncio.Task[None]:
            task = asyncio.create_task(
                run_durable_consumer(js, durable=durable, subjects=subjects, handler=collect)
            )
            # It starts at new events: wait until it exists with these subjects.
            await _until_async(lambda: _filters_of(js, durable), subjects)
            return task

        # Made first for every event of the store, as an earlier version of a service would.
        first = await consuming([store_subjects(store.slug)])
        first.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await first
        consumer = await consuming([subject_for(store.slug, "unit.stage_changed")])
        try:
            async with running_relay(settings.asyncpg_dsn, settings.nats_url):
                unit = await make_unit(sessions, store)
                async with sessions() as session, session.begin():
                    loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
                    await units.move_unit(session, loaded, to_stage="detail", cause=API_CAUSE)
                await _until(lambda: len(seen) >= 1)
        finally:
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer
            await nc.close()
        # unit.created went into the stream first: delivered, it would have come first.
        assert seen == ["recon.unit.stage_changed"]

    async def test_first_delivery_is_true_once_per_consumer_and_event(
        self, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        event = CloudEvent(
            id=uuid.uuid4(),
            source="recon/tests",
            type="recon.note.added",
            subject="x",
            time="2026-11-25T12:00:00Z",
            store=store.slug,
            seq=1,
            data={},
        )  # type: ignore[arg-type]
        seen = []
        for consumer in ("notifier", "notifier", "other"):
            async with sessions() as session, session.begin():
                seen.append(await first_delivery(session, consumer=consumer, event=event))
        assert seen == [True, False, True]

    async def test_first_delivery_rolls_back_with_the_handler(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        event = CloudEvent(
            id=uuid.uuid4(),
            source="recon/tests",
            type="recon.note.added",
            subject="x",
            time="2026-11-25T12:00:00Z",
            store=store.slug,
            seq=1,
            data={},
        )  # type: ignore[arg-type]
        with contextlib.suppress(RuntimeError):
            async with sessions() as session, session.begin():
                assert await first_delivery(session, consumer="notifier", event=event)
                raise RuntimeError("the handler failed after recording")
        async with sessions() as session, session.begin():
            assert await first_delivery(session, consumer="notifier", event=event)


class TestFanout:
    async def test_every_subscriber_sees_every_event(
        self, sessions: Sessions, settings: Settings
    ) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store)
        copies = [await connect(settings.nats_url, name=f"copy-{n}") for n in range(2)]
        await ensure_stream(copies[0].jetstream())
        received: list[list[int]] = [[], []]
        unsubscribes = []
        for copy, inbox in zip(copies, received, strict=True):

            async def collect(event: CloudEvent, inbox: list[int] = inbox) -> None:
                inbox.append(event.seq)

            unsubscribes.append(
                await subscribe_fanout(
                    copy.jetstream(), subject=store_subjects(store.slug), handler=collect
                )
            )
        try:
            async with running_relay(settings.asyncpg_dsn, settings.nats_url):
                for stage in ("inspection", "mechanical", "detail"):
                    async with sessions() as session, session.begin():
                        loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
                        await units.move_unit(session, loaded, to_stage=stage, cause=API_CAUSE)
                await _until(lambda: all(len(inbox) >= 4 for inbox in received))
                await asyncio.sleep(0.3)  # a duplicate would arrive by now
        finally:
            for unsubscribe in unsubscribes:
                await unsubscribe()
            for copy in copies:
                await copy.close()
        # The relay starts after both subscribed: each copy sees every event once, in order.
        assert received[0] == received[1] == [1, 2, 3, 4]
