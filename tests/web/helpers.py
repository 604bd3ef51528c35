"""The board in a real browser: Debian's chromium driven by Playwright, board-api under a real
uvicorn, and texts written the way ingest-sms writes them."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import recon.domain.units as units
from recon.db.models import Message, Staff, Store
from recon.domain.event_log import Cause
from recon.domain.messages import record_inbound
from recon.events import Actor
from recon.understanding import Interpretation, Move

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


async def _inbound(
    session: AsyncSession, store: Store, staff: Staff, body: str, status: str
) -> Message:
    return await record_inbound(
        session,
        store_id=store.id,
        from_number=staff.phone,
        to_number=store.sms_number,
        body=body,
        provider_sid=f"SM{uuid.uuid4().hex}",
        staff_id=staff.id,
        staff_name=staff.name,
        status=status,
        service="tests",
    )


async def text_moving_unit(
    sessions: async_sessionmaker[AsyncSession],
    store: Store,
    staff: Staff,
    *,
    unit_id: uuid.UUID,
    body: str,
    to_stage: str,
) -> Message:
    """A text that moved a unit, written as ingest-sms writes one: the inbound message, the
    change through the domain with the text as its cause, and what the text was taken to mean."""
    async with sessions() as session, session.begin():
        message = await _inbound(session, store, staff, body, "applied")
        unit = await units.get_unit(session, store_id=store.id, ref=unit_id)
        cause = Cause(
            actor=Actor(kind="staff", staff_id=staff.id, name=staff.name),
            source="sms",
            service="tests",
            message_id=message.id,
        )
        await units.move_unit(session, unit, to_stage=to_stage, cause=cause)
        move = Move(unit_id=str(unit.id), stock_number=unit.stock_number, to_stage=to_stage)
        message.unit_ids = [unit.id]
        message.interpretation = Interpretation(commands=[move]).model_dump(mode="json")
    return message


async def text_needing_review(
    sessions: async_sessionmaker[AsyncSession], store: Store, staff: Staff, *, body: str
) -> Message:
    """A text that was not understood: nothing applied, waiting for someone on the board."""
    async with sessions() as session, session.begin():
        message = await _inbound(session, store, staff, body, "needs_review")
        not_understood = Interpretation(not_understood="no unit named")
        message.interpretation = not_understood.model_dump(mode="json")
    return message
