"""From an event to the texts it should cause: the store's rules pick the people, never the
person who caused it (and no one for an UNDO's revert), and `texts` words it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from notifier import texts
from notifier.queueing import queue_texts
from recon.db.models import Message, Staff, Store, Unit, UnitEvent
from recon.domain.notification_rules import RELATED_RECIPIENTS, RuleSpec, load_rules
from recon.events import CloudEvent
from recon.events import types as ev
from recon.settings import Settings

ROUTED_TYPES = frozenset(
    {"unit.stage_changed", "unit.blocked", "unit.unblocked", "unit.acknowledged"}
)


@dataclass(frozen=True, slots=True)
class Occasion:
    """What happened, as the rules and the resolvers of related recipients see it."""

    store: Store
    event: CloudEvent
    data: ev.UnitEventData
    unit: Unit | None
    stage: str | None
    blocker_kind: str | None


Related = Callable[[AsyncSession, Occasion], Awaitable[list[tuple[Staff, str | None]]]]


async def route_event(
    session: AsyncSession, event: CloudEvent, *, settings: Settings, now: datetime
) -> int:
    """Queue the texts `event` calls for; returns how many were queued."""
    if event.short_type not in ROUTED_TYPES:
        return 0
    store = await session.scalar(select(Store).where(Store.slug == event.store))
    if store is None:
        return 0
    data = event.payload()
    assert isinstance(data, ev.UnitEventData)
    stage, blocker_kind = _narrowing(data)
    rules, _ = await load_rules(session, store.id)
    matching = [
        rule
        for rule in rules
        if rule.matches(event.short_type, stage=stage, blocker_kind=blocker_kind)
    ]
    if not matching or await _caused_by_undo(session, data):
        return 0
    unit = await session.get(Unit, data.unit_id, options=[selectinload(Unit.work_items)])
    occasion = Occasion(store, event, data, unit, stage, blocker_kind)
    body = _body(occasion)
    chosen: dict[uuid.UUID, tuple[Staff, str]] = {
        staff.id: (staff, body) for staff in await staff_for(session, store.id, matching)
    }
    for name in {role for rule in matching for role in rule.roles if role in RELATED_RECIPIENTS}:
        for staff, own_body in await RELATED[name](session, occasion):
            chosen[staff.id] = (staff, own_body or body)
    for staff_id in await _causers(session, data):
        chosen.pop(staff_id, None)
    return await queue_texts(
        session,
        store=store,
        event_id=event.id,
        unit_id=data.unit_id,
        kind=event.short_type.removeprefix("unit."),
        texts=list(chosen.values()),
        now=now,
        settings=settings,
    )


async def staff_for(
    session: AsyncSession, store_id: uuid.UUID, rules: Sequence[RuleSpec]
) -> list[Staff]:
    """The store's staff the rules name by role or by id (related recipients are resolved
    separately)."""
    roles = {role for rule in rules for role in rule.roles if role not in RELATED_RECIPIENTS}
    staff_ids = {staff_id for rule in rules for staff_id in rule.staff_ids}
    if not roles and not staff_ids:
        return []
    query = select(Staff).where(
        Staff.store_id == store_id, Staff.role.in_(roles) | Staff.id.in_(staff_ids)
    )
    return list((await session.scalars(query)).all())


def _narrowing(data: ev.EventData) -> tuple[str | None, str | None]:
    """The stage and blocker kind a rule may be narrowed to, for this event."""
    match data:
        case ev.UnitStageChanged():
            return data.to_stage, None
        case ev.UnitBlocked() | ev.UnitUnblocked():
            return data.stage, data.kind
        case ev.UnitAcknowledged():
            return data.stage, None
    return None, None


def _body(occasion: Occasion) -> str:
    store, unit, data = occasion.store, occasion.unit, occasion.data
    match data:
        case ev.UnitStageChanged():
            return texts.stage_changed(store, unit, data)
        case ev.UnitBlocked():
            return texts.blocked(store, unit, data)
        case ev.UnitUnblocked():
            return texts.unblocked(store, unit, data)
        case ev.UnitAcknowledged():
            return texts.acknowledged(store, data)
    raise ValueError(f"no text for {occasion.event.type}")


async def _caused_by_undo(session: AsyncSession, data: ev.UnitEventData) -> bool:
    """Whether the change is an UNDO putting back what a text changed (read from the causing
    text's interpretation, as `recon.domain.undo` does). It texts no one: it restores what was
    there before the mistaken change, and the mistaken change's own texts, if not sent yet, are
    dropped as no longer true (`staleness`). Without this, undoing a detailer's "done" would
    tell the other detailers the car is "ready for detail", and undoing a parts blocker would
    tell the technician "Parts are in"."""
    if data.message_id is None:
        return False
    interpretation = await session.scalar(
        select(Message.interpretation).where(Message.id == data.message_id)
    )
    commands = (interpretation or {}).get("commands") or []
    return any(isinstance(c, dict) and c.get("action") == "undo" for c in commands)


async def _causers(session: AsyncSession, data: ev.UnitEventData) -> set[uuid.UUID]:
    """Whoever caused the change: the acting staff member and the sender of the causing text."""
    causers = {data.actor.staff_id} if data.actor.staff_id else set()
    if data.message_id is not None:
        sender = await session.scalar(select(Message.staff_id).where(Message.id == data.message_id))
        if sender is not None:
            causers.add(sender)
    return causers


# --- recipients related to the unit --------------------------------------------------------


def _normal(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _same_vendor(staff_name: str, vendor: str) -> bool:
    staff_key, vendor_key = _normal(staff_name), _normal(vendor)
    if not staff_key or not vendor_key:
        return False
    shorter, longer = sorted((staff_key, vendor_key), key=len)
    return staff_key == vendor_key or (len(shorter) >= 4 and longer.startswith(shorter))


async def unit_vendors(session: AsyncSession, occasion: Occasion) -> list[tuple[Staff, str | None]]:
    """Each vendor with open outside work on the unit, with a work order for their part."""
    unit = occasion.unit
    if unit is None:
        return []
    open_items = [item for item in unit.work_items if item.status == "open" and item.vendor]
    if not open_items:
        return []
    vendors = (
        await session.scalars(
            select(Staff).where(Staff.store_id == unit.store_id, Staff.role == "vendor")
        )
    ).all()
    orders: list[tuple[Staff, str | None]] = []
    for vendor in vendors:
        theirs = [item for item in open_items if _same_vendor(vendor.name, item.vendor or "")]
        if theirs:
            orders.append((vendor, texts.work_order(unit, occasion.data.stock_number, theirs)))
    return orders


async def last_technician(
    session: AsyncSession, occasion: Occasion
) -> list[tuple[Staff, str | None]]:
    query = (
        select(Staff)
        .join(UnitEvent, UnitEvent.actor_staff_id == Staff.id)
        .where(
            UnitEvent.unit_id == occasion.data.unit_id,
            UnitEvent.seq <= occasion.event.seq,
            Staff.role == "technician",
        )
        .order_by(UnitEvent.seq.desc())
        .limit(1)
    )
    staff = await session.scalar(query)
    return [(staff, None)] if staff else []


async def last_changer(session: AsyncSession, occasion: Occasion) -> list[tuple[Staff, str | None]]:
    query = (
        select(Staff)
        .join(UnitEvent, UnitEvent.actor_staff_id == Staff.id)
        .where(
            UnitEvent.unit_id == occasion.data.unit_id,
            UnitEvent.seq < occasion.event.seq,
            UnitEvent.type != "unit.acknowledged",
        )
        .order_by(UnitEvent.seq.desc())
        .limit(1)
    )
    staff = await session.scalar(query)
    return [(staff, None)] if staff else []


RELATED: dict[str, Related] = {
    "unit_vendor": unit_vendors,
    "last_technician": last_technician,
    "last_changer": last_changer,
}
