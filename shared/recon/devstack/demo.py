"""Demo data for `make run`: a store with staff and 40 units spread over the stages, with a
few days of history written through the real domain rules (back-dated), so a newcomer sees a
living board at once."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon.db.models import Staff, Store, Unit
from recon.domain import units
from recon.domain.event_log import Cause
from recon.domain.stages import STAGE_ORDER, Stage
from recon.events import Actor
from recon.events.types import VehicleFields
from recon.vin import random_vin

DEMO_SLUG = "demo"

STAFF = [
    ("Marco Diaz", "+15125550101", "technician"),
    ("Tasha Reed", "+15125550102", "technician"),
    ("Luis Ortega", "+15125550103", "detailer"),
    ("Amy Chen", "+15125550104", "photographer"),
    ("Dre Walker", "+15125550105", "porter"),
    ("Rob Keller", "+15125550106", "sales"),
    ("Dana Brooks", "+15125550107", "used_car_manager"),
    ("Sam Patel", "+15125550108", "service_manager"),
    ("Clear View Glass", "+15125550109", "vendor"),
]

VEHICLES = [
    ("Chevrolet", "Silverado 1500", "LT"),
    ("Ford", "F-150", "XLT"),
    ("Honda", "Accord", "Sport"),
    ("Toyota", "Camry", "SE"),
    ("Ford", "Escape", "SE"),
    ("Jeep", "Grand Cherokee", "Limited"),
    ("Nissan", "Rogue", "SV"),
    ("Toyota", "RAV4", "XLE"),
    ("Honda", "CR-V", "EX"),
    ("Ram", "1500", "Big Horn"),
    ("Subaru", "Outback", "Premium"),
    ("Hyundai", "Tucson", "SEL"),
    ("Chevrolet", "Equinox", "LT"),
    ("GMC", "Sierra 1500", "SLE"),
    ("Kia", "Sorento", "LX"),
]
COLORS = ["White", "Black", "Gray", "Silver", "Blue", "Red", "White", "Gray"]
WORK = [
    "front brakes",
    "2 tires",
    "oil change",
    "alignment",
    "wiper blades",
    "battery",
    "A/C recharge",
]

# How many demo units sit in each stage now.
SPREAD = {
    Stage.INTAKE: 4,
    Stage.INSPECTION: 5,
    Stage.MECHANICAL: 8,
    Stage.SUBLET: 4,
    Stage.DETAIL: 6,
    Stage.PHOTOS: 5,
    Stage.FRONTLINE: 6,
    Stage.SOLD: 2,
}


@dataclass(frozen=True)
class DemoStore:
    slug: str
    board_token: str
    created: bool


async def seed_demo(sessions: async_sessionmaker[AsyncSession], *, sms_number: str) -> DemoStore:
    """Create the demo store once; later runs find it and leave it as it is."""
    async with sessions() as session:
        existing = await session.scalar(select(Store).where(Store.slug == DEMO_SLUG))
    if existing is not None:
        return DemoStore(existing.slug, existing.board_token, created=False)
    rng = random.Random(2231)
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        store = Store(
            slug=DEMO_SLUG,
            name="Demo Motors",
            sms_number=sms_number,
            board_token=secrets.token_urlsafe(24),
        )
        session.add(store)
        await session.flush()
        staff = [Staff(store_id=store.id, name=n, phone=p, role=r) for n, p, r in STAFF]
        session.add_all(staff)
        await session.flush()
        by_role = {member.role: member for member in staff}
        number = 2200
        for stage, count in SPREAD.items():
            for _ in range(count):
                number += rng.randint(1, 9)
                await _demo_unit(session, store, by_role, stage, number, rng, now)
    return DemoStore(store.slug, store.board_token, created=True)


def _cause(member: Staff | None, at: datetime) -> Cause:
    if member is None:
        return Cause(
            actor=Actor(kind="inventory", name="DMS"), source="inventory", service="demo", at=at
        )
    return Cause(
        actor=Actor(kind="staff", staff_id=member.id, name=member.name),
        source="sms",
        service="demo",
        at=at,
    )


async def _demo_unit(
    session: AsyncSession,
    store: Store,
    by_role: dict[str, Staff],
    target: Stage,
    number: int,
    rng: random.Random,
    now: datetime,
) -> Unit:
    make, model, trim = rng.choice(VEHICLES)
    steps = STAGE_ORDER.index(target)
    # Each stage so far took 4–30 hours; the car arrived that long ago plus time in this stage.
    durations = [timedelta(hours=rng.uniform(4, 30)) for _ in range(steps)]
    in_stage = timedelta(hours=rng.uniform(1, 40))
    at = now - sum(durations, in_stage)
    vehicle = VehicleFields(
        vin=random_vin(rng),
        stock_number=f"{number}",
        year=rng.randint(2016, 2024),
        make=make,
        model=model,
        trim=trim,
        exterior_color=rng.choice(COLORS),
        mileage=rng.randint(8_000, 95_000),
        received_at=at,
    )
    unit = await units.create_unit(
        session, store_id=store.id, vehicle=vehicle, cause=_cause(None, at)
    )
    tech = by_role["technician"]
    for stage, took in zip(STAGE_ORDER[1 : steps + 1], durations, strict=True):
        at += took
        who = {
            Stage.DETAIL: tech,
            Stage.PHOTOS: by_role["detailer"],
            Stage.FRONTLINE: by_role["photographer"],
        }.get(stage, tech)
        if stage == Stage.MECHANICAL:
            await units.open_work_items(
                session,
                unit,
                names=rng.sample(WORK, 2),
                cause=_cause(tech, at - timedelta(minutes=20)),
            )
        if stage == Stage.DETAIL and unit.work_items:
            for item in [i for i in unit.work_items if i.status == "open"]:
                await units.complete_work_item(
                    session,
                    unit,
                    work_item_id=item.id,
                    cause=_cause(tech, at - timedelta(minutes=5)),
                )
        await units.move_unit(session, unit, to_stage=stage, cause=_cause(who, at))
    later = at + in_stage / 2
    if target == Stage.MECHANICAL and rng.random() < 0.5:
        await units.block_unit(
            session,
            unit,
            kind="parts",
            note="brake pads on order",
            eta=date.today() + timedelta(days=2),
            cause=_cause(tech, later),
        )
    if target == Stage.SUBLET:
        await units.open_work_items(
            session,
            unit,
            names=["windshield"],
            vendor="Clear View Glass",
            cause=_cause(by_role["service_manager"], later),
        )
    if target == Stage.FRONTLINE and rng.random() < 0.6:
        await units.acknowledge_unit(session, unit, cause=_cause(by_role["sales"], later))
        await units.add_we_owe(
            session, unit, item="second key", cause=_cause(by_role["sales"], later)
        )
    return unit
