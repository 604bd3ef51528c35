"""Builders of test data through the real domain functions: each test makes its own store."""

from __future__ import annotations

import itertools
import random
import secrets
import string
import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon.db.models import Staff, Store, Unit
from recon.domain import units
from recon.domain.event_log import Cause
from recon.events import Actor
from recon.events.types import VehicleFields
from recon.vin import random_vin

API_CAUSE = Cause(actor=Actor(kind="api", name="test client"), source="api", service="tests")
INVENTORY_CAUSE = Cause(
    actor=Actor(kind="inventory", name="DMS"), source="inventory", service="tests"
)

_phones = itertools.count(1000)


def unique_slug(prefix: str = "store") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def unique_sms_number() -> str:
    return "+1512" + "".join(random.choices(string.digits, k=7))


async def make_store(sessions: async_sessionmaker[AsyncSession], **fields: object) -> Store:
    async with sessions() as session, session.begin():
        store = Store(
            slug=fields.pop("slug", None) or unique_slug(),
            name=fields.pop("name", "Test Motors"),
            sms_number=fields.pop("sms_number", None) or unique_sms_number(),
            board_token=secrets.token_urlsafe(24),
            **fields,
        )
        session.add(store)
    return store


async def make_staff(
    sessions: async_sessionmaker[AsyncSession],
    store: Store,
    *,
    role: str = "technician",
    name: str | None = None,
    phone: str | None = None,
) -> Staff:
    async with sessions() as session, session.begin():
        staff = Staff(
            store_id=store.id,
            name=name or f"{role.title()} {next(_phones)}",
            phone=phone or "+1737555" + f"{next(_phones):04d}"[-4:],
            role=role,
        )
        session.add(staff)
    return staff


async def make_unit(
    sessions: async_sessionmaker[AsyncSession],
    store: Store,
    *,
    stage: str = "intake",
    stock_number: str | None = None,
    **vehicle: object,
) -> Unit:
    fields = {
        "vin": random_vin(),
        "stock_number": stock_number or f"{random.randint(10000, 99999)}",
        "year": 2019,
        "make": "Chevrolet",
        "model": "Silverado",
        "exterior_color": "White",
        "mileage": 42000,
        **vehicle,
    }
    async with sessions() as session, session.begin():
        unit = await units.create_unit(
            session,
            store_id=store.id,
            vehicle=VehicleFields.model_validate(fields),
            cause=INVENTORY_CAUSE,
        )
        if stage != "intake":
            await units.move_unit(session, unit, to_stage=stage, cause=API_CAUSE)
    async with sessions() as session:
        return await units.get_unit(session, store_id=store.id, ref=unit.id)
