"""The understanding module's view of a store's active units, cached per store in-process.

Building the index on every text would load every unit; instead each store's cache remembers
the store's event sequence it has seen. A text reads `stores.last_event_seq` (the webhook
reads it as it takes the store's lock); when it moved, only the units whose view the events
since may have changed are reloaded (a note, a we-owe item or an acknowledgement changes
nothing the index holds). Events are numbered in commit order under the store lock, so
nothing committed is missed, and several copies of the service each keep their own cache
correctly.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from recon.db.models import Store, Unit
from recon.domain import pg
from recon.events import types as ev
from recon.understanding import UnitIndex, UnitView, WorkItemView

# Unit events that change nothing a UnitView holds (stage, blocker, work items, names).
_VIEW_UNCHANGED = tuple(
    model.event_type for model in (ev.NoteAdded, ev.WeOweAdded, ev.WeOweDone, ev.UnitAcknowledged)
)


@dataclass(frozen=True, slots=True)
class _Cached:
    seq: int
    views: dict[uuid.UUID, UnitView]
    index: UnitIndex


def unit_view(unit: Unit) -> UnitView:
    return UnitView(
        id=str(unit.id),
        stock_number=unit.stock_number,
        vin=unit.vin,
        year=unit.year,
        make=unit.make,
        model=unit.model,
        trim=unit.trim,
        exterior_color=unit.exterior_color,
        stage=unit.stage,
        blocker_kind=unit.blocker_kind,
        blocker_note=unit.blocker_note,
        work_items=tuple(
            WorkItemView(id=str(item.id), name=item.name, status=item.status, vendor=item.vendor)
            for item in unit.work_items
        ),
    )


class UnitIndexCache:
    def __init__(self) -> None:
        self._stores: dict[uuid.UUID, _Cached] = {}

    def seq_of(self, store_id: uuid.UUID) -> int | None:
        """The store's event the cached index is current to (None: not cached)."""
        cached = self._stores.get(store_id)
        return None if cached is None else cached.seq

    async def get(
        self,
        session: AsyncSession,
        store_id: uuid.UUID,
        *,
        seq: int | None = None,
        changed_since: tuple[int, set[uuid.UUID]] | None = None,
    ) -> UnitIndex:
        """The store's index as of event `seq` (read from the store when not given).

        `changed_since`: (an earlier seq, the units the events after it up to `seq` may have
        changed, as `changed_units_sql` reads them), when the caller read them already; used
        if the cache is still at that seq."""
        if seq is None:
            seq = (
                await session.execute(select(Store.last_event_seq).where(Store.id == store_id))
            ).scalar_one()
        cached = self._stores.get(store_id)
        if cached is not None and cached.seq == seq:
            return cached.index
        if cached is None:
            views = await _load(session, store_id)
        else:
            if changed_since is not None and changed_since[0] == cached.seq:
                changed = changed_since[1]
            else:
                changed = await _changed_units(session, store_id, cached.seq, seq)
            if not changed:
                # Only message events since: the units are as they were.
                self._stores[store_id] = _Cached(seq, cached.views, cached.index)
                return cached.index
            views = dict(cached.views)
            for unit_id in changed:
                views.pop(unit_id, None)
            views.update(await _load(session, store_id, only=changed))
            if _same_names(cached.views, views, changed):
                # Only stages, blockers and work moved: the index's naming lookups still
                # hold, and a rebuild costs ~5 ms per 100 units on every text.
                index = _with_states(cached.index, views)
                self._stores[store_id] = _Cached(seq, views, index)
                return index
        index = UnitIndex.build(views.values())
        self._stores[store_id] = _Cached(seq, views, index)
        return index

    def forget(self, store_id: uuid.UUID) -> None:
        self._stores.pop(store_id, None)


# What the index's lookups are built from: when none of it changed, a unit's new state can be
# swapped in without rebuilding them.
_NAMING = ("stock_number", "vin", "year", "make", "model", "trim", "exterior_color")


def _names(view: UnitView) -> tuple[object, ...]:
    vendors = frozenset(item.vendor for item in view.work_items if item.vendor)
    return (*(getattr(view, field) for field in _NAMING), vendors)


def _same_names(
    before: dict[uuid.UUID, UnitView], after: dict[uuid.UUID, UnitView], changed: set[uuid.UUID]
) -> bool:
    return all(
        (unit_id in before) == (unit_id in after)
        and (unit_id not in after or _names(before[unit_id]) == _names(after[unit_id]))
        for unit_id in changed
    )


def _with_states(index: UnitIndex, views: dict[uuid.UUID, UnitView]) -> UnitIndex:
    """The same lookups over the units' current views (`UnitIndex.units` by id)."""
    if not isinstance(getattr(index, "units", None), dict):
        return UnitIndex.build(views.values())
    fresh = copy.copy(index)
    fresh.units = {view.id: view for view in views.values()}
    return fresh


def changed_units_sql(store: str, after: str, upto: str, types: str) -> str:
    """The units whose view the store's events after `after` up to `upto` may have changed
    (SQL expressions for each, `types` a text[] of VIEW_UNCHANGED_TYPES)."""
    return (
        f"SELECT DISTINCT e.unit_id FROM unit_events e WHERE e.store_id = {store} "
        f"AND e.seq > {after} AND e.seq <= {upto} AND e.unit_id IS NOT NULL "
        f"AND e.type <> ALL({types})"
    )


VIEW_UNCHANGED_TYPES = list(_VIEW_UNCHANGED)
_CHANGED_SQL = changed_units_sql("$1", "$2", "$3", "$4::text[]")


async def _changed_units(
    session: AsyncSession, store_id: uuid.UUID, after: int, upto: int
) -> set[uuid.UUID]:
    """Units whose view the store's events after `after` up to `upto` may have changed (plain
    SQL on the session's connection: this runs for nearly every text)."""
    connection = await pg.driver(session)
    rows = await connection.fetch(_CHANGED_SQL, store_id, after, upto, VIEW_UNCHANGED_TYPES)
    return {row[0] for row in rows}


async def _load(
    session: AsyncSession, store_id: uuid.UUID, *, only: set[uuid.UUID] | None = None
) -> dict[uuid.UUID, UnitView]:
    """Active (not removed) units as views; with `only`, just those units."""
    query = (
        select(Unit)
        .where(Unit.store_id == store_id, Unit.removed_at.is_(None))
        .options(selectinload(Unit.work_items))
    )
    if only is not None:
        query = query.where(Unit.id.in_(only))
    result = await session.execute(query)
    return {unit.id: unit_view(unit) for unit in result.scalars()}
