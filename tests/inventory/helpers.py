"""Feeds and readers shared by the inventory tests."""

from __future__ import annotations

import hashlib
import itertools
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon.db.models import ApiToken, Store, Unit, UnitEvent
from recon.domain.event_log import Cause
from recon.domain.inventory import SyncMode, SyncResult, sync_inventory
from recon.events import Actor
from recon.vin import check_digit
from tests.factories import random_vin

Sessions = async_sessionmaker[AsyncSession]
FEED_CAUSE = Cause(actor=Actor(kind="inventory", name="DMS"), source="inventory", service="tests")
_stock_numbers = itertools.count(10000)


def vehicle(**fields: Any) -> dict[str, Any]:
    """One feed row, as a DMS sends it."""
    return {
        "vin": random_vin(),
        "stock_number": f"S{next(_stock_numbers)}",
        "year": 2021,
        "make": "Ford",
        "model": "F-150",
        "trim": "XLT",
        "exterior_color": "Blue",
        "mileage": 30123,
        "received_at": "2024-05-01",
        **fields,
    }


def wrong_check_digit(vin: str) -> str:
    """The VIN with a mistyped check digit (position 9)."""
    right = check_digit(vin)
    return vin[:8] + ("1" if right != "1" else "2") + vin[9:]


async def sync(
    sessions: Sessions, store: Store, rows: list[Any], mode: SyncMode | str = "full"
) -> SyncResult:
    async with sessions() as session, session.begin():
        return await sync_inventory(
            session, store_id=store.id, mode=mode, rows=rows, cause=FEED_CAUSE
        )


async def units_by_vin(sessions: Sessions, store: Store) -> dict[str, Unit]:
    async with sessions() as session:
        found = await session.scalars(select(Unit).where(Unit.store_id == store.id))
        return {unit.vin: unit for unit in found}


async def events_of(sessions: Sessions, store: Store) -> list[UnitEvent]:
    async with sessions() as session:
        found = await session.scalars(
            select(UnitEvent).where(UnitEvent.store_id == store.id).order_by(UnitEvent.seq)
        )
        return list(found)


async def make_token(sessions: Sessions, store: Store, *scopes: str, revoked: bool = False) -> str:
    """A store token as board-api issues it: only its sha256 is kept."""
    token = secrets.token_urlsafe(24)
    async with sessions() as session, session.begin():
        session.add(
            ApiToken(
                store_id=store.id,
                label="dms export",
                scopes=list(scopes),
                token_hash=hashlib.sha256(token.encode()).hexdigest(),
                revoked_at=datetime.now(UTC) if revoked else None,
            )
        )
    return token
