"""Outbox figures: relay throughput (commit → published on JetStream) and the latency from a
committed change to a consumer receiving it, at a steady 200 events/s.

The relay runs where it runs in production: inside a writer service (inventory-sync, started
as a uvicorn subprocess); this process commits changes and consumes the stream.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from nats.aio.client import Client as NATS
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.harness import BenchServers, Figure, median, percentile
from bench.services import running_service
from recon.db.models import Outbox, Store
from recon.db.session import create_engine, create_sessionmaker
from recon.domain import units
from recon.domain.event_log import Cause, PendingEvent, append_events, lock_store_events
from recon.events import Actor, CloudEvent, store_subjects
from recon.events.types import NoteAdded, VehicleFields
from recon.messaging.consumers import subscribe_fanout
from recon.messaging.jetstream import connect, ensure_stream
from recon.settings import Settings

Sessions = async_sessionmaker[AsyncSession]

CAUSE = Cause(actor=Actor(kind="system", name="bench"), source="system", service="bench")
THROUGHPUT_EVENTS = 20_000
STEADY_RATE = 200
STEADY_SECONDS = 10


async def run(servers: BenchServers) -> list[Figure]:
    settings = servers.settings
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    nc = await connect(settings.nats_url, name="bench-outbox")
    await ensure_stream(nc.jetstream())
    try:
        store = await _make_store(sessions)
        throughput = await _throughput(sessions, settings, store)
        p50, p99 = await _steady_latency(sessions, settings, nc, store)
    finally:
        await nc.close()
        await engine.dispose()
    return [
        Figure(
            "outbox relay throughput (commit → JetStream ack)", throughput, "events/s", "≥ 2000"
        ),
        Figure("commit → consumer received p50 @200/s", p50, "ms", ""),
        Figure("commit → consumer received p99 @200/s", p99, "ms", "≤ 20"),
    ]


async def _make_store(sessions: Sessions) -> Store:
    async with sessions() as session, session.begin():
        store = Store(
            slug=f"bench-outbox-{uuid.uuid4().hex[:8]}",
            name="Bench Motors",
            sms_number="+1512" + str(uuid.uuid4().int)[:7],
            board_token=uuid.uuid4().hex,
        )
        session.add(store)
    return store


async def _throughput(sessions: Sessions, settings: Settings, store: Store) -> float:
    """Time from one commit of THROUGHPUT_EVENTS events to the relay having published them all."""
    async with running_service("inventory-sync", settings):
        async with sessions() as session, session.begin():
            await lock_store_events(session, store.id)
            await append_events(
                session,
                store_id=store.id,
                service="bench",
                events=[_note_event() for _ in range(THROUGHPUT_EVENTS)],
            )
        committed = time.perf_counter()
        while True:
            async with sessions() as session:
                left = await session.scalar(select(func.count()).select_from(Outbox))
            if not left:
                break
            await asyncio.sleep(0.01)
        return THROUGHPUT_EVENTS / (time.perf_counter() - committed)


def _note_event() -> PendingEvent:
    return PendingEvent(
        data=NoteAdded(
            unit_id=uuid.uuid4(),
            stock_number="B1",
            version=1,
            actor=CAUSE.actor,
            source="system",
            note_id=uuid.uuid4(),
            body="bench",
        ),
        subject=uuid.uuid4(),
        unit_id=None,
        actor=CAUSE.actor,
        source="system",
    )


async def _steady_latency(
    sessions: Sessions, settings: Settings, nc: NATS, store: Store
) -> tuple[float, float]:
    # Several units, so no single unit's history grows large enough to slow its loading.
    unit_ids = []
    async with sessions() as session, session.begin():
        for number in range(20):
            vehicle = VehicleFields(
                vin=f"BENCH{uuid.uuid4().hex[:12].upper()}", stock_number=f"B{number}"
            )
            unit = await units.create_unit(session, store_id=store.id, vehicle=vehicle, cause=CAUSE)
            unit_ids.append(unit.id)
    committed_at: dict[str, float] = {}
    received_at: dict[str, float] = {}

    async def on_event(event: CloudEvent) -> None:
        if event.type == "recon.note.added":
            received_at[str(event.data["note_id"])] = time.perf_counter()

    async with running_service("inventory-sync", settings):
        unsubscribe = await subscribe_fanout(
            nc.jetstream(), subject=store_subjects(store.slug), handler=on_event
        )
        interval = 1 / STEADY_RATE
        next_at = time.perf_counter()
        for sent in range(STEADY_RATE * STEADY_SECONDS):
            async with sessions() as session, session.begin():
                loaded = await units.get_unit(
                    session, store_id=store.id, ref=unit_ids[sent % len(unit_ids)]
                )
                note = await units.add_note(session, loaded, body="steady", cause=CAUSE)
            committed_at[str(note.id)] = time.perf_counter()
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        deadline = time.perf_counter() + 10
        while len(received_at) < len(committed_at) and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        await unsubscribe()
    latencies = [
        max(0.0, received_at[note_id] - committed) * 1000
        for note_id, committed in committed_at.items()
        if note_id in received_at
    ]
    return median(latencies), percentile(latencies, 0.99)
