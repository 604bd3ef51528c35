"""Metrics computation time for a 500-unit store with 90 days of history, and the SVG charts.

The history is generated straight into units, unit_events and messages (as the domain would
have written them, at past times): 500 cars received over 90 days, each walking the stages with
random stays, work items, notes, acknowledgements, blockers and texts.
"""

from __future__ import annotations

import random
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.harness import BenchServers, Figure, median, percentile
from board_api.metrics import charts
from recon.db.models import Message, Staff, Store, Unit, UnitEvent
from recon.db.session import create_engine, create_sessionmaker
from recon.events import Actor
from recon.events import types as ev
from recon.metrics import compute_store_metrics
from tests.factories import unique_sms_number

UNITS = 500
HISTORY_DAYS = 90
RUNS = 20
# Mean days in each stage, and the chance a car goes through it at all.
STAGE_PLAN = (
    ("intake", 0.6, 1.0),
    ("inspection", 0.9, 1.0),
    ("mechanical", 2.2, 0.7),
    ("sublet", 3.0, 0.3),
    ("detail", 0.9, 1.0),
    ("photos", 0.7, 1.0),
)
SOURCES = ("sms", "sms", "sms", "board", "api")


async def run(servers: BenchServers) -> list[Figure]:
    engine = create_engine(servers.settings.database_url, pool_size=2)
    sessions = create_sessionmaker(engine)
    try:
        store, event_count = await _generate(sessions, random.Random(8))
        figures = [Figure("metrics: history events generated", event_count, "events")]
        for days in (30, 90):
            samples = await _time_compute(sessions, store, days)
            figures += [
                Figure(
                    f"metrics: compute, {UNITS} units, {days}-day window (median)",
                    median(samples),
                    "ms",
                    "< 250 ms",
                ),
                Figure(
                    f"metrics: compute, {UNITS} units, {days}-day window (p95)",
                    percentile(samples, 0.95),
                    "ms",
                ),
            ]
        async with sessions() as session:
            metrics = await compute_store_metrics(session, store=store, days=90)
        started = time.perf_counter()
        for _ in range(RUNS):
            charts.dwell_chart(metrics.dwell, days=90)
            charts.frontline_trend_chart(metrics.days_to_frontline, days=90)
        figures.append(
            Figure(
                "metrics: both SVG charts rendered (90 days)",
                (time.perf_counter() - started) * 1000 / RUNS,
                "ms",
                "< 5 ms",
            )
        )
        return figures
    finally:
        await engine.dispose()


async def _time_compute(
    sessions: async_sessionmaker[AsyncSession], store: Store, days: int
) -> list[float]:
    samples = []
    for _ in range(RUNS + 2):
        async with sessions() as session:
            started = time.perf_counter()
            await compute_store_metrics(session, store=store, days=days)
            samples.append((time.perf_counter() - started) * 1000)
    return samples[2:]  # the first runs warm the connection and Postgres' caches


async def _generate(
    sessions: async_sessionmaker[AsyncSession], rng: random.Random
) -> tuple[Store, int]:
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        store = Store(
            slug=f"bench-metrics-{uuid.uuid4().hex[:8]}",
            name="Bench Motors",
            # Not from the seeded rng: the web bench builds its store the same way, after this.
            sms_number=unique_sms_number(),
            board_token=secrets.token_urlsafe(24),
            timezone="America/Chicago",
        )
        session.add(store)
        await session.flush()
        staff = [
            Staff(store_id=store.id, name=f"Tech {i}", phone=f"+1737555{i:04d}", role="technician")
            for i in range(20)
        ]
        session.add_all(staff)
        await session.flush()
        writer = _HistoryWriter(store, staff, rng)
        for _ in range(UNITS):
            writer.unit(now - timedelta(days=rng.uniform(0, HISTORY_DAYS)), now)
        await session.execute(insert(Unit), writer.units)
        await session.execute(insert(UnitEvent), writer.events)
        await session.execute(insert(Message), writer.messages)
    return store, len(writer.events)


class _HistoryWriter:
    def __init__(self, store: Store, staff: list[Staff], rng: random.Random) -> None:
        self.store = store
        self.staff = staff
        self.rng = rng
        self.units: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []

    def unit(self, received_at: datetime, now: datetime) -> None:
        unit_id = uuid.uuid4()
        stock_number = f"B{len(self.units):05d}"
        base = {"unit_id": unit_id, "stock_number": stock_number, "version": 1}
        self._event(
            base,
            ev.UnitCreated,
            received_at,
            source="inventory",
            vehicle=ev.VehicleFields(vin=f"VIN{len(self.units):014d}", stock_number=stock_number),
            stage="intake",
        )
        mean_days = {stage: mean for stage, mean, _ in STAGE_PLAN}
        path = [stage for stage, _, chance in STAGE_PLAN if self.rng.random() < chance]
        stage, entered = "intake", received_at
        blocker: str | None = None
        for current, next_stage in pairwise([*path, "frontline"]):
            stay = self.rng.expovariate(1 / mean_days[current])
            left = entered + timedelta(days=stay)
            if left > now:
                blocker = self.rng.choice(["parts", "approval", "vendor", None, None, None, None])
                break
            self._work_in_stage(base, current, entered, stay)
            self._event(
                base,
                ev.UnitStageChanged,
                left,
                from_stage=current,
                to_stage=next_stage,
                reason="done",
                days_in_previous_stage=round(stay, 3),
            )
            stage, entered = next_stage, left
        self.units.append(
            {
                "id": unit_id,
                "store_id": self.store.id,
                "vin": f"VIN{len(self.units):014d}",
                "stock_number": stock_number,
                "stage": stage,
                "stage_entered_at": entered,
                "received_at": received_at,
                "blocker_kind": blocker,
                "blocker_since": entered if blocker else None,
                "extra": {},
            }
        )

    def _work_in_stage(
        self, base: dict[str, Any], stage: str, entered: datetime, stay: float
    ) -> None:
        """What people log while a car sits in a stage: work items, notes, acknowledgements."""

        def at(fraction: float) -> datetime:
            return entered + timedelta(days=stay * fraction)

        if stage == "mechanical":
            for name in ("brakes", "tires", "alignment"):
                item = uuid.uuid4()
                self._event(base, ev.WorkItemOpened, at(0.2), work_item_id=item, name=name)
                self._event(base, ev.WorkItemDone, at(0.7), work_item_id=item, name=name)
        for fraction in (0.3, 0.6):
            self._event(base, ev.NoteAdded, at(fraction), note_id=uuid.uuid4(), body="on it")
        staff = self.rng.choice(self.staff)
        self._event(
            base, ev.UnitAcknowledged, at(0.9), staff_id=staff.id, by=staff.name, stage=stage
        )

    def _event(
        self,
        base: dict[str, Any],
        model: type[ev.UnitEventData],
        at: datetime,
        *,
        source: str | None = None,
        **fields: Any,
    ) -> None:
        source = source or self.rng.choice(SOURCES)
        staff = None if source == "inventory" else self.rng.choice(self.staff)
        actor = (
            Actor(kind="staff", staff_id=staff.id, name=staff.name)
            if staff
            else Actor(kind="inventory", name="DMS")
        )
        data = model(**base, actor=actor, source=source, **fields)
        self.events.append(
            {
                "id": uuid.uuid4(),
                "store_id": self.store.id,
                "seq": len(self.events) + 1,
                "unit_id": base["unit_id"],
                "type": model.event_type,
                "source": source,
                "actor_kind": actor.kind,
                "actor_staff_id": actor.staff_id,
                "actor_name": actor.name,
                "data": data.model_dump(mode="json", by_alias=True),
                "created_at": at,
            }
        )
        if source == "sms" and staff is not None:
            self.messages.append(
                {
                    "id": uuid.uuid4(),
                    "store_id": self.store.id,
                    "direction": "inbound",
                    "from_number": staff.phone,
                    "to_number": self.store.sms_number,
                    "body": f"{base['stock_number']} done",
                    "status": "received",
                    "staff_id": staff.id,
                    "media_urls": [],
                    "unit_ids": [base["unit_id"]],
                    "created_at": at,
                }
            )
