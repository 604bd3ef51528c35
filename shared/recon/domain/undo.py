"""UNDO by text: revert the sender's last change (within 15 minutes) through the unit functions.

What a text changed is read back from its unit events (`message_id`). Stage moves and
blockers are reverted, unless the car has changed again since (then it is left as it is now:
undoing over someone else's change would be a wrong change). Work items, notes, we-owe items
and acknowledgements have no reverse change in the rules: they are named back as not undone.

Each outcome's `changed` says whether that part was reverted; the text is marked `undone`
only when some part was, so an UNDO that could revert nothing leaves it as it was.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recon.db.models import Message, Unit, UnitEvent
from recon.domain import units
from recon.domain.errors import DomainError, NotFound, StaleUnit
from recon.domain.event_log import Cause
from recon.domain.sms import Outcome, unit_label

UNDO_WINDOW = timedelta(minutes=15)
# How many of the sender's recent texts are searched for one that changed something.
_LOOKBACK = 20

# Why a change with no reverse in the rules stays, worded after the car's label.
_KEPT = {
    "note.added": "the note stays",
    "unit.acknowledged": "the acknowledgement stays",
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
        changes = _one_per_work_item(list(events))
        if not changes:
            continue
        outcomes = [await _revert(session, store_id, event, cause) for event in changes]
        if any(outcome.changed for outcome in outcomes):
            message.status = "undone"
        await session.flush()
        return outcomes
    return None


def _one_per_work_item(events: list[UnitEvent]) -> list[UnitEvent]:
    """A work item the text opened and finished at once ("2279 water pump done") is one
    change: its "done" (newest first) speaks for both."""
    seen: set[str] = set()
    kept: list[UnitEvent] = []
    for event in events:
        if event.type.startswith("work_item."):
            item = str(event.data.get("work_item_id"))
            if item in seen:
                continue
            seen.add(item)
        kept.append(event)
    return kept


def _is_undo(message: Message) -> bool:
    commands = (message.interpretation or {}).get("commands") or []
    return any(isinstance(c, dict) and c.get("action") == "undo" for c in commands)


async def _revert(
    session: AsyncSession, store_id: uuid.UUID, event: UnitEvent, cause: Cause
) -> Outcome:
    """Revert one event; an unchanged outcome's summary says what was not undone, and why."""
    assert event.unit_id is not None
    data = event.data
    try:
        # Stage moves and blockers touch the unit row alone.
        unit = await units.get_unit(session, store_id=store_id, ref=event.unit_id, children=())
    except NotFound:
        stock = str(data.get("stock_number") or "that car")
        return Outcome(event.unit_id, stock, "undo", False, "no longer on the board")
    label = unit_label(unit)

    def kept(summary: str) -> Outcome:
        return Outcome(unit.id, label, "undo", False, summary)

    try:
        match event.type:
            case "unit.stage_changed":
                if unit.stage != data["to_stage"]:
                    return kept(f"not moved back to {data['from_stage']}: in {unit.stage} now")
                await units.move_unit(session, unit, to_stage=data["from_stage"], cause=cause)
                summary = f"back in {unit.stage}"
            case "unit.blocked":
                if not _same_blocker(unit, data):
                    now = f"waiting on {unit.blocker_kind}" if unit.blocker_kind else "not blocked"
                    return kept(f"blocker not changed back: {now} now")
                before = await _blocker_before(session, unit.id, event.seq)
                if before is None:
                    await units.unblock_unit(session, unit, cause=cause)
                    summary = f"no longer waiting on {data['kind']}"
                else:
                    await units.block_unit(
                        session,
                        unit,
                        kind=before["kind"],
                        note=before.get("note"),
                        eta=_date(before.get("eta")),
                        cause=cause,
                    )
                    summary = f"waiting on {_blocker_words(before)} again"
            case "unit.unblocked":
                if unit.blocker_kind is not None:
                    return kept(f"not blocked again: waiting on {unit.blocker_kind} now")
                before = await _blocker_before(session, unit.id, event.seq)
                eta = (
                    _date(before.get("eta")) if before and before["kind"] == data["kind"] else None
                )
                await units.block_unit(
                    session, unit, kind=data["kind"], note=data.get("note"), eta=eta, cause=cause
                )
                summary = f"waiting on {_blocker_words(data)} again"
            case "work_item.opened":
                return kept(f"{data.get('name') or 'the work item'} stays on the list")
            case "work_item.done":
                return kept(f"{data.get('name') or 'the work item'} stays done")
            case "we_owe.added":
                return kept(f"we owe {data.get('item') or 'item'} stays")
            case _:
                return kept(_KEPT.get(event.type, "that change stays"))
    except StaleUnit:
        raise
    except DomainError as exc:
        return kept(str(exc).removeprefix(f"{unit.stock_number} "))
    return Outcome(unit.id, label, "undo", True, summary)


def _same_blocker(unit: Unit, data: dict[str, Any]) -> bool:
    """The unit still waits on exactly what the text set."""
    eta = unit.blocker_eta.isoformat() if unit.blocker_eta else None
    return (unit.blocker_kind, unit.blocker_note, eta) == (
        data.get("kind"),
        data.get("note"),
        data.get("eta"),
    )


async def _blocker_before(
    session: AsyncSession, unit_id: uuid.UUID, seq: int
) -> dict[str, Any] | None:
    """The blocker the unit had just before event `seq` (its last block or unblock)."""
    last = (
        await session.execute(
            select(UnitEvent.type, UnitEvent.data)
            .where(
                UnitEvent.unit_id == unit_id,
                UnitEvent.seq < seq,
                UnitEvent.type.in_(("unit.blocked", "unit.unblocked")),
            )
            .order_by(UnitEvent.seq.desc())
            .limit(1)
        )
    ).first()
    if last is None or last.type != "unit.blocked":
        return None
    return dict(last.data)


def _blocker_words(data: dict[str, Any]) -> str:
    note = data.get("note")
    return f"{data['kind']} ({note})" if note and note != data["kind"] else str(data["kind"])


def _date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    return date.fromisoformat(value) if isinstance(value, str) and value else None
