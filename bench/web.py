"""The board page's server-side render time for a 500-unit store: repeated GETs of
/board/{board_token} (and of one card fragment, what a live update fetches) from board-api
running under uvicorn.

The store is the metrics benchmark's (500 cars over 90 days of history, thousands of texts),
with open work items added through the domain on the cars still in recon, so cards carry
what a real board's do.
"""

from __future__ import annotations

import random
import time

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import recon.domain.units as units
from bench.harness import BenchServers, Figure, percentile
from bench.metrics import UNITS
from bench.metrics import _generate as generate_store
from bench.services import running_service
from recon.db.models import Store, Unit, UnitEvent
from recon.db.session import create_engine, create_sessionmaker
from recon.domain.event_log import Cause
from recon.domain.stages import RECON_STAGES
from recon.events import Actor

RUNS = 50
WARM_UP = 3
CAUSE = Cause(actor=Actor(kind="api", name="bench"), source="api", service="bench")


async def run(servers: BenchServers) -> list[Figure]:
    engine = create_engine(servers.settings.database_url, pool_size=2)
    sessions = create_sessionmaker(engine)
    try:
        store, _ = await generate_store(sessions, random.Random(8))
        on_board, sample_unit = await _add_work(sessions, store)
    finally:
        await engine.dispose()
    async with (
        running_service("board-api", servers.settings) as service,
        httpx.AsyncClient(base_url=service.url, timeout=30) as client,
    ):
        page = await _timed_gets(client, f"/board/{store.board_token}")
        card = await _timed_gets(client, f"/board/{store.board_token}/cards/{sample_unit}")
    return [
        Figure(f"web: units on the board page ({UNITS}-unit store)", on_board, "units"),
        Figure("web: board page render (p50)", percentile(page, 0.5), "ms", "< 300 ms"),
        Figure("web: board page render (p99)", percentile(page, 0.99), "ms"),
        Figure("web: one card fragment, a live update (p50)", percentile(card, 0.5), "ms"),
        Figure("web: one card fragment, a live update (p99)", percentile(card, 0.99), "ms"),
    ]


async def _add_work(sessions: async_sessionmaker[AsyncSession], store: Store) -> tuple[int, str]:
    """Open work items on the cars still in recon; answers the cars the page shows and one."""
    async with sessions() as session, session.begin():
        # The generated history was numbered outside the domain: carry the store's event
        # counter past it before the domain appends more.
        last_seq = select(func.max(UnitEvent.seq)).where(UnitEvent.store_id == store.id)
        await session.execute(
            update(Store)
            .where(Store.id == store.id)
            .values(last_event_seq=last_seq.scalar_subquery())
        )
        rows = (
            await session.scalars(
                select(Unit)
                .where(Unit.store_id == store.id, Unit.stage != "sold")
                .options(*units.UNIT_CHILDREN)
            )
        ).all()
        for unit in rows:
            if unit.stage in RECON_STAGES:
                await units.open_work_items(
                    session, unit, names=["front brakes", "2 tires"], cause=CAUSE
                )
    return len(rows), str(rows[0].id)


async def _timed_gets(client: httpx.AsyncClient, path: str) -> list[float]:
    samples = []
    for attempt in range(WARM_UP + RUNS):
        started = time.perf_counter()
        response = await client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        if attempt >= WARM_UP:
            samples.append(elapsed)
    return samples
