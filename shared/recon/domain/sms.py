"""Texts that change the board: each understood command applied through the unit functions,
photos sent by MMS, and the SMS opt-out flag. Nothing here has rules of its own."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recon.db.models import Staff, Unit, UnitPhoto
from recon.domain import units
from recon.domain.errors import AlreadyPast, DomainError, NotFound, StaleUnit
from recon.domain.event_log import Cause

# Unit-less commands: the flow answers them itself (they touch no unit).
ACCOUNT_ACTIONS = frozenset({"opt_out", "opt_in", "help", "undo"})

# The unit collections each command reads (a text is applied in a few milliseconds, and each
# collection loaded is one more query); the rest only append, or touch the unit row alone.
_READS: dict[str, tuple[str, ...]] = {
    "done": ("work_items",),
    "sublet_return": ("work_items",),
    "open_work": ("work_items",),
    "complete_work": ("work_items",),
    "send_to_vendor": ("work_items",),
    "status_query": ("work_items",),
    "attach_photos": ("photos",),
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one command did to one unit, worded for the reply."""

    unit_id: uuid.UUID | None
    label: str
    action: str
    changed: bool
    summary: str
    refused: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "unit_id": str(self.unit_id) if self.unit_id else None,
            "unit": self.label,
            "action": self.action,
            "changed": self.changed,
            "summary": self.summary,
            "refused": self.refused,
        }


def unit_label(unit: Unit) -> str:
    """How a reply names a car: stock number, year and model (`2231 2019 Accord`)."""
    return " ".join(str(part) for part in (unit.stock_number, unit.year, unit.model) if part)


def describe_status(unit: Unit) -> str:
    """The answer to "where is 2231?": stage, days in it, blocker and open work."""
    parts = [f"in {unit.stage} {units.days_in_stage(unit):.1f}d"]
    if unit.blocker_kind:
        blocker = f"blocked on {unit.blocker_kind}"
        if unit.blocker_note:
            blocker += f" ({unit.blocker_note})"
        if unit.blocker_eta:
            blocker += f" ETA {_day(unit.blocker_eta)}"
        parts.append(blocker)
    open_items = [item.name for item in unit.work_items if item.status == "open"]
    if open_items:
        parts.append("open: " + ", ".join(open_items))
    return "; ".join(parts)


def _day(day: date) -> str:
    return f"{day:%a} {day.month}/{day.day}"


def _refusal(unit: Unit, exc: DomainError) -> str:
    """A refusal reads after the unit's label, so drop the stock number it starts with."""
    if isinstance(exc, AlreadyPast):
        return f"already in {exc.current}, nothing changed"
    return str(exc).removeprefix(f"{unit.stock_number} ").removeprefix("unit ")


async def apply_unit_command(
    session: AsyncSession,
    *,
    store_id: uuid.UUID,
    command: Any,
    cause: Cause,
    media_urls: Sequence[str] = (),
) -> Outcome:
    """Apply one understood command to its unit.

    A change the rules refuse becomes an unchanged outcome whose summary says why. A stale
    unit (someone changed it at the same moment) is raised: the caller retries the text.
    """
    action: str = command.action
    try:
        unit_id = uuid.UUID(str(command.unit_id))
        if _adds_a_row(command):
            unit = await units.get_unit_to_append(
                session, store_id=store_id, unit_id=unit_id, at=cause.when()
            )
        else:
            unit = await units.get_unit(
                session,
                store_id=store_id,
                ref=unit_id,
                include_removed=False,
                children=_READS.get(action, ()),
            )
    except (NotFound, ValueError):
        stock = getattr(command, "stock_number", "that car")
        return Outcome(None, str(stock), action, False, "is no longer on the board", refused=True)
    label = unit_label(unit)
    try:
        summary = await _apply(session, unit, command, cause, media_urls)
    except StaleUnit:
        raise
    except DomainError as exc:
        # "Already past" is the board agreeing with the sender, not a refusal.
        refused = not isinstance(exc, AlreadyPast)
        return Outcome(unit.id, label, action, False, _refusal(unit, exc), refused=refused)
    return Outcome(unit.id, label, action, action != "status_query", summary)


def _adds_a_row(command: Any) -> bool:
    """A note, a we-owe item or an acknowledgement that has what it needs: its unit is read
    with its version bumped (`get_unit_to_append`). A blank one goes the usual way, to be
    refused with the unit untouched."""
    match command.action:
        case "ack":
            return True
        case "note":
            return bool(command.body.strip())
        case "we_owe":
            return bool(command.item.strip())
    return False


async def _apply(
    session: AsyncSession, unit: Unit, command: Any, cause: Cause, media_urls: Sequence[str]
) -> str:
    match command.action:
        case "move":
            if unit.stage == command.to_stage:
                return f"already in {unit.stage}"
            await units.move_unit(session, unit, to_stage=command.to_stage, cause=cause)
            return f"moved to {unit.stage}"
        case "done":
            await units.complete_stage(session, unit, stage=command.stage, cause=cause)
            return f"{command.stage} done, now in {unit.stage}"
        case "sublet_return":
            await units.complete_stage(session, unit, stage="sublet", cause=cause)
            return f"back from sublet, now in {unit.stage}"
        case "open_work":
            items = await units.open_work_items(
                session,
                unit,
                names=list(command.items),
                vendor=getattr(command, "vendor", None),
                approved=bool(getattr(command, "approved", False)),
                cause=cause,
            )
            verb = "approved" if getattr(command, "approved", False) else "needs"
            return f"{verb} " + ", ".join(item.name for item in items)
        case "complete_work":
            item = await units.complete_work_item(
                session,
                unit,
                work_item_id=_uuid_or_none(getattr(command, "work_item_id", None)),
                name=command.item,
                cause=cause,
            )
            return f"{item.name} done"
        case "block":
            # A text that only moves the ETA ("parts now friday") keeps the note it had.
            note = command.note if command.note is not None else unit.blocker_note
            await units.block_unit(
                session, unit, kind=command.kind, note=note, eta=command.eta, cause=cause
            )
            detail = f" ({note})" if note else ""
            eta = f", ETA {_day(command.eta)}" if command.eta else ""
            return f"waiting on {command.kind}{detail}{eta}"
        case "unblock":
            kind = unit.blocker_kind
            await units.unblock_unit(
                session, unit, kind=getattr(command, "kind", None), cause=cause
            )
            return f"no longer waiting on {kind}"
        case "send_to_vendor":
            work = [command.work] if isinstance(command.work, str) else list(command.work)
            vendor = getattr(command, "vendor", None)
            await units.move_unit(session, unit, to_stage="sublet", cause=cause)
            if work:
                await units.open_work_items(session, unit, names=work, vendor=vendor, cause=cause)
            return f"sent to {vendor or 'sublet'}" + (f" for {', '.join(work)}" if work else "")
        case "note":
            await units.add_note(session, unit, body=command.body, cause=cause)
            return "note added"
        case "we_owe":
            await units.add_we_owe(session, unit, item=command.item, cause=cause)
            return f"we owe {command.item}"
        case "ack":
            await units.acknowledge_unit(session, unit, cause=cause)
            return f"acknowledged in {unit.stage}"
        case "status_query":
            return describe_status(unit)
        case "attach_photos":
            urls = list(getattr(command, "media_urls", None) or media_urls)
            added = await attach_photos(session, unit=unit, urls=urls, message_id=cause.message_id)
            return (
                f"{added} photo{'s' if added != 1 else ''} added"
                if added
                else "no photo came with the text"
            )
    raise ValueError(f"unknown command {command.action!r}")


def _uuid_or_none(value: object) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


async def attach_photos(
    session: AsyncSession, *, unit: Unit, urls: Sequence[str], message_id: uuid.UUID | None
) -> int:
    """Keep the MMS media URLs of a text as the unit's photos; returns how many were added."""
    known = {photo.url for photo in unit.photos}
    fresh = [url for url in dict.fromkeys(urls) if url and url not in known]
    for url in fresh:
        photo = UnitPhoto(
            id=uuid.uuid4(), store_id=unit.store_id, unit_id=unit.id, url=url, message_id=message_id
        )
        session.add(photo)
        unit.photos.append(photo)
    if fresh:
        await session.flush()
    return len(fresh)


async def set_sms_opt_out(
    session: AsyncSession, *, store_id: uuid.UUID, phone: str, opted_out: bool
) -> int:
    """STOP / START (or a carrier's "unsubscribed" error) for a number at one store: the
    notifier never texts a staff member whose flag is set. Returns how many staff matched."""
    result = await session.execute(
        update(Staff)
        .where(Staff.store_id == store_id, Staff.phone == phone)
        .values(sms_opt_out=opted_out)
        .returning(Staff.id)
    )
    return len(result.all())


async def staff_by_phone(session: AsyncSession, *, store_id: uuid.UUID, phone: str) -> Staff | None:
    result = await session.execute(
        select(Staff).where(Staff.store_id == store_id, Staff.phone == phone)
    )
    return result.scalar_one_or_none()
