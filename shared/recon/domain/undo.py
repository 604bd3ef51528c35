"""UNDO by text: revert the sender's last change (within 15 minutes) through the unit functions.

What a text changed is read back from its unit events (`message_id`). Stage moves and
blockers are reverted; work items, notes, we-owe items and acknowledgements have no reverse
change in the rules, so the reply says they were kept.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recon.db.models import Message, UnitEvent
from recon.domain import units
from recon.domain.errors import DomainError, NotFound, StaleUnit
from recon.domain.event_log import Cause
from recon.domain.sms import Outcome, unit_label

UNDO_WINDOW = timedelta(minutes=15)
# How many of the sender's recent texts are searched for one that changed something.
_LOOKBACK = 20

_KEPT = {
    "work_item.opened": "work item kept",
    "work_item.done": "work item stays done",
    "note.added": "note kept",
    "we_owe.added": "we-owe kept",
    "unit.acknowledged": "acknowledgement kept",
}


async def undo_last_change(
    session: AsyncSession,
    *,
    store_id: uuid.UUID,
    from_number: str,
    cause: Cause,
    now: datetime,
) -> list[Outcome] | None:
    """Revert the most recent applied text from this number that changed a unit; None when
    there is nothing within the window. The undone text is marked `undone`."""
    candidates = await session.execute(
        select(Message)
        .where(
            Message.store_id == store_id,
            Message.from_number == from_number,
            Message.direction == "inbound",
            Message.status == "applied",
            Message.created_at >= now - UNDO_WINDOW,
            Message.id != cause.message_id,
        )
        .order_by(Message.created_at.desc())
        .limit(_LOOKBACK)
        .with_for_update()
    )
    for message in candidates.scalars():
        if _is_undo(message):
            # An UNDO is not itself undone: a second UNDO reaches the change before.
            continue
        events = (
            await session.execute(
                select(UnitEvent)
                .where(
                    UnitEvent.store_id == store_id,
                    UnitEvent.message_id == message.id,
                    UnitEvent.unit_id.is_not(None),
                )
                .order_by(UnitEvent.seq.desc())
            )
        ).scalars()
        changes = list(events)
        if not changes:
            continue
        outcomes = [await _revert(session, store_id, event, cause) for event in changes]
        message.status = "undone"
        await session.flush()
        return outcomes
    return None


def _is_undo(message: Message) -> bool:
    commands = (message.interpretation or {}).get("commands") or []
    return any(isinstance(c, dict) and c.get("action") == "undo" for c in commands)


async def _revert(
    session: AsyncSession, store_id: uuid.UUID, event: UnitEvent, cause: Cause
) -> Outcome:
    assert event.unit_id is not None
    try:
        # Stage moves and blockers touch the unit row alone.
        unit = await units.get_unit(session, store_id=store_id, ref=event.unit_id, children=())
    except NotFound:
        return Outcome(event.unit_id, str(event.data.get("stock_number")), "undo", False, "gone")
    label = unit_label(unit)
    data = event.data
    try:
        match event.type:
            case "unit.stage_changed":
                await units.move_unit(session, unit, to_stage=data["from_stage"], cause=cause)
                summary = f"back in {unit.stage}"
            case "unit.blocked":
                if unit.blocker_kind is None:
                    return Outcome(unit.id, label, "undo", False, "no longer blocked")
                await units.unblock_unit(session, unit, cause=cause)
                summary = "blocker cleared"
            case "unit.unblocked":
                await units.block_unit(
                    session, unit, kind=data["kind"], note=data.get("note"), eta=None, cause=cause
                )
                summary = f"waiting on {data['kind']} again"
            case _:
                return Outcome(unit.id, label, "undo", False, _KEPT.get(event.type, "kept"))
    except StaleUnit:
        raise
    except DomainError as exc:
        return Outcome(unit.id, label, "undo", False, str(exc))
    return Outcome(unit.id, label, "undo", True, summary)
