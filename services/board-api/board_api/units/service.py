"""Reading units: the filtered, paged board list, one unit with its timeline, and the unit's
JSON (with its clocks computed at the time of the answer)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, String, and_, cast, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

import recon.domain.units as units
from board_api.events.service import unit_timeline
from board_api.pagination import after_time_and_id, split_page, time_and_id_cursor
from board_api.units import schemas
from recon.db.models import Store, Unit
from recon.domain.errors import InvalidInput
from recon.domain.stages import Stage

STAGE_NAMES = ", ".join(stage.value for stage in Stage)


@dataclass(frozen=True)
class UnitFilters:
    stages: tuple[Stage, ...] = ()
    blocked: bool | None = None
    overdue: bool | None = None
    q: str | None = None
    include_removed: bool = False


def parse_stages(values: Sequence[str]) -> tuple[Stage, ...]:
    """`?stage=detail&stage=photos` or `?stage=detail,photos`."""
    stages = []
    for value in values:
        for name in value.split(","):
            name = name.strip().lower()
            if not name:
                continue
            try:
                stages.append(Stage(name))
            except ValueError:
                raise InvalidInput(f"unknown stage {name!r}; stages are {STAGE_NAMES}") from None
    return tuple(stages)


def target_hours(store: Store, stage: str) -> float | None:
    hours = (store.stage_targets_hours or {}).get(stage)
    return float(hours) if hours else None


def _overdue_clause(store: Store, at: datetime) -> ColumnElement[bool]:
    clauses = [
        (Unit.stage == stage) & (Unit.stage_entered_at < at - timedelta(hours=float(hours)))
        for stage, hours in (store.stage_targets_hours or {}).items()
        if hours
    ]
    return or_(*clauses) if clauses else false()


def _text_clause(q: str) -> ColumnElement[bool]:
    """Every word must match one of stock number, VIN, year, make, model, trim or color."""
    words = []
    for word in q.split():
        like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        words.append(
            or_(
                Unit.stock_number.ilike(like, escape="\\"),
                Unit.vin.ilike(like, escape="\\"),
                cast(Unit.year, String) == word,
                Unit.make.ilike(like, escape="\\"),
                Unit.model.ilike(like, escape="\\"),
                Unit.trim.ilike(like, escape="\\"),
                Unit.exterior_color.ilike(like, escape="\\"),
            )
        )
    return and_(*words)


async def list_units(
    session: AsyncSession,
    *,
    store: Store,
    filters: UnitFilters,
    limit: int,
    cursor: str | None,
    at: datetime,
) -> tuple[list[Unit], str | None]:
    """The store's units, oldest first, keyset-paged on (created_at, id)."""
    query = (
        select(Unit)
        .where(Unit.store_id == store.id)
        .options(*units.UNIT_CHILDREN)
        .order_by(Unit.created_at, Unit.id)
        .limit(limit + 1)
    )
    if not filters.include_removed:
        query = query.where(Unit.removed_at.is_(None))
    if filters.stages:
        query = query.where(Unit.stage.in_([s.value for s in filters.stages]))
    if filters.blocked is not None:
        query = query.where(
            Unit.blocker_kind.is_not(None) if filters.blocked else Unit.blocker_kind.is_(None)
        )
    if filters.overdue is not None:
        overdue = _overdue_clause(store, at)
        query = query.where(overdue if filters.overdue else ~overdue)
    if filters.q and filters.q.strip():
        query = query.where(_text_clause(filters.q))
    if cursor is not None:
        query = query.where(after_time_and_id(Unit.created_at, Unit.id, cursor))
    rows, more = split_page((await session.scalars(query)).all(), limit)
    return rows, time_and_id_cursor(rows[-1].created_at, rows[-1].id) if more else None


@dataclass(frozen=True, slots=True)
class Clocks:
    """A unit's clocks at the time of the answer, against the store's current targets."""

    days_in_recon: float
    days_in_stage: float
    stage_target_hours: float | None
    overdue: bool


def clocks(
    store: Store, *, stage: str, stage_entered_at: datetime, received_at: datetime, at: datetime
) -> Clocks:
    in_stage = units.days_between(stage_entered_at, at)
    target = target_hours(store, stage)
    return Clocks(
        days_in_recon=units.days_between(received_at, at),
        days_in_stage=in_stage,
        stage_target_hours=target,
        overdue=target is not None and in_stage * 24 > target,
    )


def unit_record(unit: Unit, store: Store) -> schemas.UnitRecord:
    blocker = (
        schemas.Blocker(
            kind=unit.blocker_kind,
            note=unit.blocker_note,
            since=unit.blocker_since,
            eta=unit.blocker_eta,
        )
        if unit.blocker_kind
        else None
    )
    return schemas.UnitRecord(
        id=unit.id,
        store=store.slug,
        vin=unit.vin,
        stock_number=unit.stock_number,
        year=unit.year,
        make=unit.make,
        model=unit.model,
        trim=unit.trim,
        exterior_color=unit.exterior_color,
        mileage=unit.mileage,
        stage=unit.stage,
        stage_entered_at=unit.stage_entered_at,
        received_at=unit.received_at,
        status="removed" if unit.removed_at else "active",
        blocker=blocker,
        work_items=[schemas.WorkItem.model_validate(w) for w in unit.work_items],
        notes=[schemas.Note.model_validate(n) for n in unit.notes],
        we_owe=[schemas.WeOwe.model_validate(w) for w in unit.we_owe],
        acks=[schemas.Ack.model_validate(a) for a in unit.acks],
        photos=[schemas.Photo.model_validate(p) for p in unit.photos],
        version=unit.version,
    )


def unit_out(unit: Unit, store: Store, at: datetime) -> schemas.Unit:
    unit_clocks = clocks(
        store,
        stage=unit.stage,
        stage_entered_at=unit.stage_entered_at,
        received_at=unit.received_at,
        at=at,
    )
    return schemas.Unit(**dict(unit_record(unit, store)), **asdict(unit_clocks))


async def unit_detail(
    session: AsyncSession, *, store: Store, unit: Unit, at: datetime
) -> schemas.UnitDetail:
    timeline = await unit_timeline(session, store_id=store.id, unit_id=unit.id)
    return schemas.UnitDetail(**dict(unit_out(unit, store, at)), timeline=timeline)
