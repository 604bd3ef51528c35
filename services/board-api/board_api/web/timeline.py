"""The unit drawer's story: every text about the car and every change to it, who and when,
each text with what it was understood to mean and the changes it made."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

import recon.domain.units as units
from board_api.events.schemas import Event
from board_api.messages.schemas import Message as MessageOut
from board_api.messages.service import message_out
from board_api.units import schemas
from board_api.units import service as unit_service
from board_api.web.board import Card, card_of, latest_texts
from recon.db.models import Message, Staff, Store
from recon.metrics.compute import stage_label
from recon.understanding import Interpretation


@dataclass
class Entry:
    """One line of the story: a text (with the changes it caused) or a change on its own."""

    at: datetime
    who: str
    source: str
    text: MessageOut | None = None
    changes: list[str] = field(default_factory=list)

    @property
    def understood(self) -> str | None:
        return understood(self.text.interpretation) if self.text else None

    @property
    def resolution(self) -> dict[str, Any] | None:
        if self.text is None or not self.text.interpretation:
            return None
        resolution = self.text.interpretation.get("resolution")
        return resolution if isinstance(resolution, dict) else None


@dataclass
class Drawer:
    card: Card
    unit: schemas.UnitDetail
    entries: list[Entry]


def understood(interpretation: dict[str, Any] | None) -> str | None:
    """What a text was understood to mean, in one line (or why it was not)."""
    if not interpretation:
        return None
    summary = interpretation.get("summary")
    if isinstance(summary, str) and summary:
        return summary
    try:
        return Interpretation.model_validate(interpretation).summary()
    except ValidationError:
        reason = interpretation.get("reason") or interpretation.get("not_understood")
        return str(reason) if reason else None


def describe(event: Event, store: Store) -> str:
    """One change in the words of the board."""
    data = event.data
    label = lambda key: stage_label(store, str(data.get(key, "")))  # noqa: E731
    match event.type:
        case "unit.created":
            return f"on the board in {label('stage')}"
        case "unit.updated":
            changes = data.get("changes") or {}
            parts = [f"{name} {c.get('old')} → {c.get('new')}" for name, c in changes.items()]
            return "vehicle updated: " + ", ".join(parts)
        case "unit.removed":
            return f"left the inventory ({data.get('reason')})"
        case "unit.stage_changed":
            verb = "done with" if data.get("reason") == "done" else "moved from"
            return f"{verb} {label('from_stage')} → {label('to_stage')}"
        case "unit.blocked":
            text = f"blocked: {data.get('kind')}"
            if data.get("note"):
                text += f" — {data['note']}"
            if data.get("eta"):
                text += f" (ETA {data['eta']})"
            return text
        case "unit.unblocked":
            return f"unblocked ({data.get('kind')}, {float(data.get('blocked_hours', 0)):.0f} h)"
        case "work_item.opened":
            vendor = f" at {data['vendor']}" if data.get("vendor") else ""
            return f"work opened: {data.get('name')}{vendor}"
        case "work_item.done":
            return f"work done: {data.get('name')}"
        case "note.added":
            return f"note: {data.get('body')}"
        case "we_owe.added":
            return f"we owe: {data.get('item')}"
        case "we_owe.done":
            return f"we-owe done: {data.get('item')}"
        case "unit.acknowledged":
            return f"acknowledged by {data.get('by')} in {label('stage')}"
    return event.type


async def load_drawer(
    session: AsyncSession, *, store: Store, unit_id: uuid.UUID, at: datetime
) -> Drawer:
    row = await units.get_unit(session, store_id=store.id, ref=unit_id)
    detail = await unit_service.unit_detail(session, store=store, unit=row, at=at)
    texts = await _texts_about(session, store=store, unit_id=row.id, timeline=detail.timeline)
    card = card_of(detail, await latest_texts(session, store_id=store.id, unit_ids=[row.id]))
    return Drawer(card=card, unit=detail, entries=story(detail.timeline, texts, store))


def story(timeline: list[Event], texts: list[MessageOut], store: Store) -> list[Entry]:
    """Texts and changes, newest first; a change caused by a text sits under that text."""
    by_text: dict[uuid.UUID, Entry] = {}
    entries: list[Entry] = []
    for text in texts:
        who = text.staff.name if text.staff else text.from_
        if text.direction == "outbound":
            who = f"Recon Board → {text.staff.name if text.staff else text.to}"
        entry = Entry(at=text.created_at, who=who, source="sms", text=text)
        by_text[text.id] = entry
        entries.append(entry)
    for event in timeline:
        owner = by_text.get(event.message_id) if event.message_id else None
        if owner is not None:
            owner.changes.append(describe(event, store))
        else:
            entries.append(
                Entry(
                    at=event.time,
                    who=event.who,
                    source=event.source,
                    changes=[describe(event, store)],
                )
            )
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


async def _texts_about(
    session: AsyncSession, *, store: Store, unit_id: uuid.UUID, timeline: list[Event]
) -> list[MessageOut]:
    """Texts that named the unit or changed it, and the replies to them."""
    caused = {event.message_id for event in timeline if event.message_id}
    about = or_(Message.unit_ids.contains([unit_id]), Message.id.in_(caused))
    asked = select(Message.id).where(Message.store_id == store.id, about)
    query = (
        select(Message, Staff)
        .outerjoin(Staff, Staff.id == Message.staff_id)
        .where(
            Message.store_id == store.id,
            or_(about, Message.reply_to_id.in_(asked)),
        )
        .order_by(Message.created_at, Message.id)
    )
    return [message_out(message, staff) for message, staff in (await session.execute(query)).all()]
