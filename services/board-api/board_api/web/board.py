"""The board page's data: the store's units in a column per stage, each card with its clock
against the stage target, its latest text and who acknowledged it; the texts waiting for review.

Units come through board-api's own list and serialisation (`board_api.units.service`), so the
board filters and shows exactly what `GET …/units` answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal
from urllib.parse import urlencode

from sqlalchemy import func, select, union
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

import recon.domain.units as units
from board_api.messages import schemas as message_schemas
from board_api.messages.service import list_messages
from board_api.units import schemas
from board_api.units import service as unit_service
from recon.db.models import Message, Staff, Store, UnitEvent
from recon.domain.stages import STAGE_ORDER, Stage
from recon.metrics.compute import stage_label

# A unit this far into its stage target shows as "near" (amber) before it goes over (red).
NEAR_TARGET = 0.75
# The most units one board page shows; a store with more gets a note to filter.
MAX_UNITS = 1000
REVIEW_LIMIT = 100
BOARD_STAGES: tuple[Stage, ...] = tuple(s for s in STAGE_ORDER if s is not Stage.SOLD)

Clock = Literal["on-time", "near", "over", "untimed"]


@dataclass(frozen=True)
class BoardFilters:
    """What the page shows, from its query string (so a TV's link can carry a filter)."""

    stage: Stage | None = None
    blocked: bool = False
    over: bool = False
    q: str = ""
    sold: bool = False

    @classmethod
    def parse(
        cls, *, stage: str | None, blocked: bool, over: bool, q: str | None, sold: bool
    ) -> BoardFilters:
        stages = unit_service.parse_stages([stage] if stage else [])
        return cls(
            stage=stages[0] if stages else None,
            blocked=blocked,
            over=over,
            q=(q or "").strip(),
            sold=sold or stage == Stage.SOLD,
        )

    @property
    def narrowed(self) -> bool:
        """True when some unit of a shown column may be left out (live updates then redraw
        the columns rather than patch one card)."""
        return bool(self.stage or self.blocked or self.over or self.q)

    @property
    def stages(self) -> tuple[Stage, ...]:
        if self.stage is not None:
            return (self.stage,)
        return STAGE_ORDER if self.sold else BOARD_STAGES

    def unit_filters(self) -> unit_service.UnitFilters:
        return unit_service.UnitFilters(
            stages=self.stages,
            blocked=True if self.blocked else None,
            overdue=True if self.over else None,
            q=self.q or None,
        )

    def query(self, **overrides: object) -> str:
        """The query string of these filters (with `overrides`), for links and fragments."""
        values = replace(self, **overrides)  # type: ignore[arg-type]
        pairs = {
            "stage": values.stage.value if values.stage else "",
            "blocked": "1" if values.blocked else "",
            "over": "1" if values.over else "",
            "q": values.q,
            "sold": "1" if values.sold and values.stage is None else "",
        }
        return urlencode({k: v for k, v in pairs.items() if v})


@dataclass(frozen=True)
class LatestText:
    body: str
    who: str
    at: datetime


@dataclass(frozen=True)
class Card:
    unit: schemas.Unit
    clock: Clock
    latest_text: LatestText | None

    @property
    def ready(self) -> bool:
        """Frontline: ready to sell, what sales looks for first."""
        return self.unit.stage == Stage.FRONTLINE

    @property
    def acks(self) -> list[schemas.Ack]:
        """Who acknowledged the car where it is now."""
        return [ack for ack in self.unit.acks if ack.stage == self.unit.stage]

    @property
    def open_work(self) -> list[schemas.WorkItem]:
        return [item for item in self.unit.work_items if item.status == "open"]

    @property
    def open_we_owe(self) -> list[schemas.WeOwe]:
        return [item for item in self.unit.we_owe if item.status == "open"]

    @property
    def description(self) -> str:
        u = self.unit
        return " ".join(str(part) for part in (u.year, u.make, u.model) if part)


@dataclass
class Column:
    stage: Stage
    label: str
    target_hours: float | None
    cards: list[Card] = field(default_factory=list)


@dataclass
class Board:
    store: Store
    filters: BoardFilters
    columns: list[Column]
    truncated: bool
    at: datetime

    @property
    def units(self) -> int:
        return sum(len(column.cards) for column in self.columns)


def clock(unit: schemas.Unit) -> Clock:
    """The unit's time in its stage against the store's target for that stage."""
    if unit.stage_target_hours is None:
        return "untimed"
    if unit.overdue:
        return "over"
    if unit.days_in_stage * 24 >= NEAR_TARGET * unit.stage_target_hours:
        return "near"
    return "on-time"


async def load_board(
    session: AsyncSession, *, store: Store, filters: BoardFilters, at: datetime
) -> Board:
    rows, more = await unit_service.list_units(
        session,
        store=store,
        filters=filters.unit_filters(),
        limit=MAX_UNITS,
        cursor=None,
        at=at,
    )
    texts = await latest_texts(session, store_id=store.id, unit_ids=[row.id for row in rows])
    columns = {
        stage: Column(
            stage=stage,
            label=stage_label(store, stage),
            target_hours=unit_service.target_hours(store, stage),
        )
        for stage in filters.stages
    }
    for row in rows:
        unit = unit_service.unit_out(row, store, at)
        columns[Stage(unit.stage)].cards.append(card_of(unit, texts))
    for column in columns.values():
        # Longest in its stage first: the cars that need someone now are on top.
        column.cards.sort(key=lambda card: card.unit.stage_entered_at)
    return Board(
        store=store,
        filters=filters,
        columns=list(columns.values()),
        truncated=more is not None,
        at=at,
    )


def card_of(unit: schemas.Unit, texts: dict[uuid.UUID, LatestText]) -> Card:
    return Card(unit=unit, clock=clock(unit), latest_text=texts.get(unit.id))


async def load_card(
    session: AsyncSession, *, store: Store, unit_id: uuid.UUID, at: datetime
) -> Card:
    """One unit's card (for a live update); NotFound once it has left the board."""
    row = await units.get_unit(session, store_id=store.id, ref=unit_id, include_removed=False)
    texts = await latest_texts(session, store_id=store.id, unit_ids=[row.id])
    return card_of(unit_service.unit_out(row, store, at), texts)


async def latest_texts(
    session: AsyncSession, *, store_id: uuid.UUID, unit_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, LatestText]:
    """Each unit's most recent inbound text: one that named it (`messages.unit_ids`) or one
    that caused a change to it (`unit_events.message_id`)."""
    if not unit_ids:
        return {}
    named = select(
        func.unnest(Message.unit_ids).label("unit_id"), Message.id.label("message_id")
    ).where(Message.store_id == store_id, Message.direction == "inbound")
    caused = select(UnitEvent.unit_id, UnitEvent.message_id).where(
        UnitEvent.store_id == store_id,
        UnitEvent.message_id.is_not(None),
        UnitEvent.unit_id.in_(unit_ids),
    )
    pairs = union(named, caused).subquery()
    query = (
        select(pairs.c.unit_id, Message.body, Message.from_number, Message.created_at, Staff.name)
        .join(Message, Message.id == pairs.c.message_id)
        .outerjoin(Staff, Staff.id == Message.staff_id)
        .where(pairs.c.unit_id.in_(unit_ids), Message.direction == "inbound")
        .ext(distinct_on(pairs.c.unit_id))
        .order_by(pairs.c.unit_id, Message.created_at.desc())
    )
    return {
        unit_id: LatestText(body=body, who=name or sender, at=at)
        for unit_id, body, sender, at, name in (await session.execute(query)).all()
    }


async def needs_review(session: AsyncSession, *, store: Store) -> list[message_schemas.Message]:
    """Inbound texts nothing was done with because they were not understood, oldest first."""
    items, _ = await list_messages(
        session,
        store=store,
        phone=None,
        direction="inbound",
        status="needs_review",
        unit_id=None,
        limit=REVIEW_LIMIT,
        cursor=None,
    )
    return items
