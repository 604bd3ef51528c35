"""The SQL behind the metrics: aggregates over unit_events, units and messages of one store.

Each query scans one store's rows in the window through the (store_id, type, created_at) and
(store_id, created_at) indexes and returns a handful of aggregate rows, so the work stays in
Postgres however long the history is.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from recon.db.models import Unit
from recon.domain.stages import RECON_STAGES, Stage

RECON_STAGE_KEYS: list[str] = [str(stage) for stage in RECON_STAGES]
# Sources of changes people make; the DMS feed and the system's own bookkeeping are not use.
MACHINE_SOURCES: list[str] = ["inventory", "system"]


@dataclass(frozen=True, slots=True)
class Window:
    store_id: uuid.UUID
    start: datetime
    end: datetime
    timezone: str

    def params(self) -> dict[str, object]:
        return {"store_id": self.store_id, "start": self.start, "end": self.end}


@dataclass(frozen=True, slots=True)
class BoardUnit:
    id: uuid.UUID
    stock_number: str
    stage: str
    stage_entered_at: datetime
    received_at: datetime
    blocker_kind: str | None


async def units_on_board(session: AsyncSession, store_id: uuid.UUID) -> list[BoardUnit]:
    """Units on the board in recon or at frontline (not removed)."""
    query = select(
        Unit.id,
        Unit.stock_number,
        Unit.stage,
        Unit.stage_entered_at,
        Unit.received_at,
        Unit.blocker_kind,
    ).where(
        Unit.store_id == store_id,
        Unit.removed_at.is_(None),
        Unit.stage.in_([*RECON_STAGE_KEYS, Stage.FRONTLINE]),
    )
    return [BoardUnit(*row) for row in await session.execute(query)]


# A stay is a unit's time in one stage. Closed stays are the stage_changed events (ending at the
# event, lasting days_in_previous_stage); each unit's last stay comes from the units row and
# ends at its removal or runs on to the window's end. Durations are in seconds, never calendar
# days, so a daylight-saving change does not stretch a stay.
_STAYS = """
    stays AS (
        SELECT e.data->>'from_stage' AS stage,
               e.created_at - (e.data->>'days_in_previous_stage')::float8 * 86400
                 * interval '1 second' AS started_at,
               e.created_at AS ended_at
          FROM unit_events e
         WHERE e.store_id = :store_id AND e.type = 'unit.stage_changed'
           AND e.created_at > :start AND e.created_at <= :end
        UNION ALL
        SELECT u.stage, u.stage_entered_at, coalesce(u.removed_at, :end)
          FROM units u
         WHERE u.store_id = :store_id AND u.stage_entered_at < :end
           AND (u.removed_at IS NULL OR u.removed_at > :start)
    )
"""


@dataclass(frozen=True, slots=True)
class StageTime:
    seconds_in_window: float
    over_target_seconds_in_window: float


async def recon_time_in_window(
    session: AsyncSession, window: Window, *, targets_hours: dict[str, float]
) -> dict[str, StageTime]:
    """Per recon stage: the stay time inside the window, and the part beyond the stage target."""
    query = text(
        f"""
        WITH {_STAYS},
        targets AS (
            SELECT key AS stage, value::float8 * interval '1 hour' AS target
              FROM jsonb_each_text(CAST(:targets AS jsonb))
        )
        SELECT s.stage,
               sum(greatest(0, extract(epoch FROM
                   least(s.ended_at, :end) - greatest(s.started_at, :start)))) AS in_window,
               coalesce(sum(greatest(0, extract(epoch FROM
                   least(s.ended_at, :end) - greatest(s.started_at + t.target, :start)))), 0)
                   AS over_target
          FROM stays s LEFT JOIN targets t ON t.stage = s.stage
         WHERE s.stage = ANY(CAST(:recon_stages AS text[]))
         GROUP BY s.stage
        """
    )
    rows = await session.execute(
        query,
        {
            **window.params(),
            "targets": json.dumps(targets_hours),
            "recon_stages": RECON_STAGE_KEYS,
        },
    )
    return {
        stage: StageTime(float(in_window), float(over_target))
        for stage, in_window, over_target in rows
    }


@dataclass(frozen=True, slots=True)
class StageStays:
    stays: int
    average_days: float


async def stays_ended_in_window(session: AsyncSession, window: Window) -> dict[str, StageStays]:
    """Per stage: how many stays ended (the unit moved on) inside the window, and their mean."""
    query = text(
        """
        SELECT data->>'from_stage' AS stage, count(*) AS stays,
               avg((data->>'days_in_previous_stage')::float8) AS average_days
          FROM unit_events
         WHERE store_id = :store_id AND type = 'unit.stage_changed'
           AND created_at >= :start AND created_at <= :end
         GROUP BY 1
        """
    )
    rows = await session.execute(query, window.params())
    return {stage: StageStays(int(stays), float(average)) for stage, stays, average in rows}


@dataclass(frozen=True, slots=True)
class FrontlineArrival:
    unit_id: uuid.UUID
    local_day: date
    days_to_frontline: float


async def first_frontline_arrivals(session: AsyncSession, window: Window) -> list[FrontlineArrival]:
    """Units whose first ever arrival at frontline falls inside the window, with the days from
    their received_at to that arrival and the local day it happened on."""
    query = text(
        """
        WITH first_arrival AS (
            SELECT unit_id, min(created_at) AS reached_at
              FROM unit_events
             WHERE store_id = :store_id AND type = 'unit.stage_changed'
               AND data->>'to_stage' = 'frontline' AND created_at <= :end
             GROUP BY unit_id
        )
        SELECT f.unit_id,
               (f.reached_at AT TIME ZONE :timezone)::date AS local_day,
               greatest(0, extract(epoch FROM f.reached_at - u.received_at)) / 86400 AS days
          FROM first_arrival f JOIN units u ON u.id = f.unit_id
         WHERE f.reached_at >= :start
         ORDER BY f.reached_at
        """
    )
    rows = await session.execute(query, {**window.params(), "timezone": window.timezone})
    return [FrontlineArrival(unit_id, day, float(days)) for unit_id, day, days in rows]


@dataclass(frozen=True, slots=True)
class UpdateCounts:
    updates: int
    texted_updates: int
    work_items_opened: int
    work_items_done: int


async def update_counts(session: AsyncSession, window: Window) -> UpdateCounts:
    query = text(
        """
        SELECT count(*) FILTER (WHERE source <> ALL(CAST(:machine AS text[]))),
               count(*) FILTER (WHERE source = 'sms'),
               count(*) FILTER (WHERE type = 'work_item.opened'),
               count(*) FILTER (WHERE type = 'work_item.done')
          FROM unit_events
         WHERE store_id = :store_id AND unit_id IS NOT NULL
           AND created_at >= :start AND created_at <= :end
        """
    )
    row = (await session.execute(query, {**window.params(), "machine": MACHINE_SOURCES})).one()
    return UpdateCounts(*(int(value) for value in row))


@dataclass(frozen=True, slots=True)
class StaffUpdateCount:
    staff_id: uuid.UUID
    name: str
    role: str
    updates: int
    texted_updates: int


async def updates_per_staff(session: AsyncSession, window: Window) -> list[StaffUpdateCount]:
    """Updates per staff member who made any, most first."""
    query = text(
        """
        SELECT s.id, s.name, s.role, count(*) AS updates,
               count(*) FILTER (WHERE e.source = 'sms') AS texted_updates
          FROM unit_events e JOIN staff s ON s.id = e.actor_staff_id
         WHERE e.store_id = :store_id AND e.unit_id IS NOT NULL
           AND e.created_at >= :start AND e.created_at <= :end
         GROUP BY s.id, s.name, s.role
         ORDER BY updates DESC, s.name
        """
    )
    return [StaffUpdateCount(*row) for row in await session.execute(query, window.params())]


@dataclass(frozen=True, slots=True)
class TextCounts:
    inbound_texts: int
    staff_texting: int


async def inbound_text_counts(session: AsyncSession, window: Window) -> TextCounts:
    query = text(
        """
        SELECT count(*), count(DISTINCT staff_id)
          FROM messages
         WHERE store_id = :store_id AND direction = 'inbound'
           AND created_at >= :start AND created_at <= :end
        """
    )
    inbound, staff = (await session.execute(query, window.params())).one()
    return TextCounts(int(inbound), int(staff))
