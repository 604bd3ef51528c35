"""The stage-target check: a unit past its stage's time target tells the used-car manager,
once per unit per stage visit (the visit is named by the event that began it)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from notifier import texts
from notifier.queueing import queue_texts
from notifier.routing import staff_for
from recon.db.models import Store, Unit
from recon.domain.notification_rules import load_rules
from recon.domain.units import days_in_stage
from recon.settings import Settings

# Units past target whose visit has no overdue text yet. The visit is the latest event that put
# the unit in its current stage: a stage change into it, or its creation for a unit still in
# its first stage. Its id is the notification's event id, which makes the text once per visit.
OVERDUE_UNITS = text(
    """
    SELECT u.id AS unit_id, visit.id AS visit_id,
           (s.stage_targets_hours ->> u.stage)::float AS target_hours
    FROM units u
    JOIN stores s ON s.id = u.store_id
    CROSS JOIN LATERAL (
        SELECT e.id FROM unit_events e
        WHERE e.unit_id = u.id
          AND ((e.type = 'unit.stage_changed' AND e.data ->> 'to_stage' = u.stage)
               OR (e.type = 'unit.created' AND e.data ->> 'stage' = u.stage))
        ORDER BY e.seq DESC
        LIMIT 1
    ) AS visit
    WHERE u.removed_at IS NULL
      AND (s.stage_targets_hours ->> u.stage) IS NOT NULL
      -- hours compared as numbers: a target too large for an interval (a typo of a store's)
      -- must not fail the check for every store
      AND extract(epoch FROM (CAST(:now AS timestamptz) - u.stage_entered_at)) / 3600
          > (s.stage_targets_hours ->> u.stage)::float
      AND NOT EXISTS (
          SELECT 1 FROM notifications n WHERE n.event_id = visit.id AND n.kind = 'overdue'
      )
    ORDER BY u.stage_entered_at
    LIMIT :limit
    """
)


async def queue_overdue(
    session: AsyncSession, *, now: datetime, settings: Settings, limit: int = 500
) -> int:
    """Queue the overdue texts that are due; safe to run in several copies at once."""
    found = (await session.execute(OVERDUE_UNITS, {"now": now, "limit": limit})).all()
    queued = 0
    stores: dict[uuid.UUID, Store] = {}
    for unit_id, visit_id, target_hours in found:
        unit = await session.get(Unit, unit_id)
        if unit is None:
            continue
        store = stores.get(unit.store_id) or await session.get(Store, unit.store_id)
        if store is None:
            continue
        stores[store.id] = store
        rules, _ = await load_rules(session, store.id)
        matching = [
            r for r in rules if r.matches("unit.overdue", stage=unit.stage, blocker_kind=None)
        ]
        if not matching:
            continue
        body = texts.overdue(
            store, unit, days=days_in_stage(unit, now), target_hours=float(target_hours)
        )
        people = await staff_for(session, store.id, matching)
        queued += await queue_texts(
            session,
            store=store,
            event_id=visit_id,
            unit_id=unit.id,
            kind="overdue",
            texts=[(person, body) for person in people],
            now=now,
            settings=settings,
        )
    return queued
