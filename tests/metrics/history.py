"""A store's past written straight into units, unit_events and messages with chosen
timestamps, and one hand-computed history whose every figure is known in advance."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from recon.db.models import Message, Staff, Store, Unit, UnitEvent
from recon.events import Actor
from recon.events import types as ev
from tests.factories import random_vin

API = Actor(kind="api", name="test client")
DMS = Actor(kind="inventory", name="DMS")


class History:
    """Writes rows as the domain would have written them, but at times the test picks."""

    def __init__(self, session: AsyncSession, store: Store) -> None:
        self.session = session
        self.store = store
        self._seq = itertools.count(1)

    async def unit(
        self,
        stock_number: str,
        *,
        received_at: datetime,
        stage: str,
        stage_entered_at: datetime,
        removed_at: datetime | None = None,
        blocker_kind: str | None = None,
    ) -> Unit:
        """A unit in its final state, and its `unit.created` event at `received_at`."""
        unit = Unit(
            id=uuid.uuid4(),
            store_id=self.store.id,
            vin=random_vin(),
            stock_number=stock_number,
            year=2020,
            make="Ford",
            model="F-150",
            stage=stage,
            stage_entered_at=stage_entered_at,
            received_at=received_at,
            removed_at=removed_at,
            blocker_kind=blocker_kind,
            blocker_since=stage_entered_at if blocker_kind else None,
            extra={},
            created_at=received_at,
        )
        self.session.add(unit)
        await self.session.flush()
        vehicle = ev.VehicleFields(vin=unit.vin, stock_number=stock_number, received_at=received_at)
        await self.event(
            unit,
            ev.UnitCreated,
            at=received_at,
            actor=DMS,
            source="inventory",
            vehicle=vehicle,
            stage="intake",
        )
        return unit

    async def moved(
        self,
        unit: Unit,
        from_stage: str,
        to_stage: str,
        *,
        at: datetime,
        days: float,
        by: Staff | None = None,
        source: str = "api",
    ) -> None:
        await self.event(
            unit,
            ev.UnitStageChanged,
            at=at,
            actor=_actor(by),
            source=source,
            from_stage=from_stage,
            to_stage=to_stage,
            reason="move",
            days_in_previous_stage=days,
        )

    async def work_item(
        self,
        unit: Unit,
        model: type[ev.WorkItemOpened | ev.WorkItemDone],
        name: str,
        *,
        at: datetime,
        by: Staff | None = None,
        source: str = "api",
    ) -> None:
        # The work item's own id only matters to the board, not to the metrics.
        await self.event(
            unit,
            model,
            at=at,
            actor=_actor(by),
            source=source,
            work_item_id=uuid.uuid4(),
            name=name,
        )

    async def event(
        self,
        unit: Unit,
        model: type[ev.UnitEventData],
        *,
        at: datetime,
        actor: Actor = API,
        source: str = "api",
        **fields: Any,
    ) -> None:
        data = model(
            unit_id=unit.id,
            stock_number=unit.stock_number,
            version=1,
            actor=actor,
            source=source,
            **fields,
        )
        self.session.add(
            UnitEvent(
                id=uuid.uuid4(),
                store_id=self.store.id,
                seq=next(self._seq),
                unit_id=unit.id,
                type=model.event_type,
                source=source,
                actor_kind=actor.kind,
                actor_staff_id=actor.staff_id,
                actor_name=actor.name,
                data=data.model_dump(mode="json", by_alias=True),
                created_at=at,
            )
        )

    def inbound_text(self, *, at: datetime, by: Staff | None, body: str = "2231 done") -> None:
        self.session.add(
            Message(
                id=uuid.uuid4(),
                store_id=self.store.id,
                direction="inbound",
                from_number=by.phone if by else "+15125550199",
                to_number=self.store.sms_number,
                body=body,
                status="received",
                staff_id=by.id if by else None,
                media_urls=[],
                unit_ids=[],
                created_at=at,
            )
        )


def _actor(staff: Staff | None) -> Actor:
    if staff is None:
        return API
    return Actor(kind="staff", staff_id=staff.id, name=staff.name)


# --- the hand-computed history -------------------------------------------------------------
#
# The window is 10 local days starting at `start` (local midnight); "now" is day 9, 15:00.
# day(n, h) is n days and h hours after the window's start. Cost $40 per car per day, the
# default stage targets (intake, inspection, detail, photos 24 h; mechanical 48 h; sublet 72 h).
#
# unit  received   history (stage: days)                               now
# A     d0 08:00   intake 1, inspection 1, mechanical 3, detail .5, photos .5 → frontline d6 08:00
# B     d1 08:00   intake .5, inspection 2, mechanical 1, sublet 3, detail .5, photos .5
#                  → frontline d8 20:00
# C     d2 08:00   intake .5, inspection .5, detail .5, photos .5 → frontline d4 08:00
# H     d3 08:00   intake 1, photos .5 → frontline d4 20:00
# D     d7 08:00   intake .5, inspection .5 → mechanical since d8 08:00 (31 h), blocked: parts
# E     d-5 00:00  intake 1, inspection 1 (both before the window) → sublet since d-3 00:00,
#                  blocked: vendor (303 h, target 72 h: over for the whole window)
# F     d3 00:00   intake 1 → detail d4 00:00, removed d5 00:00 while in detail
# G     d-6        photos → frontline d-2 (first arrival, before the window),
#                  back to detail d1 00:00 (frontline 3), → frontline d1 12:00 (detail .5)
#
# Days to frontline (first arrival in the window): H 1.5, C 2, A 6, B 7.5 → average 4.25,
# median 4.0, p90 7.05 (6 + .7 × 1.5); by day: d4 two units (avg 1.75), d6 6.0, d8 7.5.
# Dwell (stays ended in the window): intake (A1, B.5, C.5, D.5, F1, H1) .75 over 6 stays;
# inspection (1, 2, .5, .5) 1.0; mechanical (3, 1) 2.0; sublet (3) 3.0 — the bottleneck;
# detail (A, B, C, G: .5 each) .5; photos (A, B, C, H: .5 each) .5.
# Unit-days in recon in the window: A 6, B 7.5, C 2, H 1.5, D 2 7/24, E 9.625, F 2, G .5
# = 31 5/12 → $1256.67. Over target: A mechanical 1, B inspection 1, E sublet 9.625
# = 11.625 → $465.00. Units in recon now: D, E (2 × $40 = $80 per day); accrued since
# received: D 2 7/24 + E 14.625 = 16 11/12 days → $676.67.
# Adoption: Tina texts 7 updates (3 moves, D's block, a work item opened, two done), Dave 3
# (two texted moves, one from the board); 28 updates by people, 9 texted; work items 3 opened,
# 2 done; 5 inbound texts (4 from Tina, 1 from an unknown phone), so 1 staff member texting.

WINDOW_DAYS = 10
NOW_OFFSET = timedelta(days=9, hours=15)


def day(start: datetime, n: float, hours: float = 0) -> datetime:
    """Elapsed time after `start` (in UTC: local wall-clock arithmetic would bend at DST)."""
    return start.astimezone(UTC) + timedelta(days=n, hours=hours)


async def build_history(
    session: AsyncSession, store: Store, *, start: datetime, tina: Staff, dave: Staff
) -> None:
    """Writes the history described above. `start` is the window's local midnight."""
    h = History(session, store)

    def d(n: float, hours: float = 0) -> datetime:
        return day(start, n, hours)

    a = await h.unit("A100", received_at=d(0, 8), stage="frontline", stage_entered_at=d(6, 8))
    await h.moved(a, "intake", "inspection", at=d(1, 8), days=1)
    await h.moved(a, "inspection", "mechanical", at=d(2, 8), days=1, by=tina, source="sms")
    await h.moved(a, "mechanical", "detail", at=d(5, 8), days=3, by=tina, source="sms")
    await h.moved(a, "detail", "photos", at=d(5, 20), days=0.5, by=dave, source="sms")
    await h.moved(a, "photos", "frontline", at=d(6, 8), days=0.5)

    b = await h.unit("B200", received_at=d(1, 8), stage="frontline", stage_entered_at=d(8, 20))
    await h.moved(b, "intake", "inspection", at=d(1, 20), days=0.5)
    await h.moved(b, "inspection", "mechanical", at=d(3, 20), days=2, by=tina, source="sms")
    await h.moved(b, "mechanical", "sublet", at=d(4, 20), days=1)
    await h.moved(b, "sublet", "detail", at=d(7, 20), days=3)
    await h.moved(b, "detail", "photos", at=d(8, 8), days=0.5, by=dave, source="sms")
    await h.moved(b, "photos", "frontline", at=d(8, 20), days=0.5)

    c = await h.unit("C300", received_at=d(2, 8), stage="frontline", stage_entered_at=d(4, 8))
    await h.moved(c, "intake", "inspection", at=d(2, 20), days=0.5)
    await h.moved(c, "inspection", "detail", at=d(3, 8), days=0.5)
    await h.moved(c, "detail", "photos", at=d(3, 20), days=0.5, by=dave, source="board")
    await h.moved(c, "photos", "frontline", at=d(4, 8), days=0.5)

    hh = await h.unit("H800", received_at=d(3, 8), stage="frontline", stage_entered_at=d(4, 20))
    await h.moved(hh, "intake", "photos", at=d(4, 8), days=1)
    await h.moved(hh, "photos", "frontline", at=d(4, 20), days=0.5)

    u = await h.unit(
        "D400",
        received_at=d(7, 8),
        stage="mechanical",
        stage_entered_at=d(8, 8),
        blocker_kind="parts",
    )
    await h.moved(u, "intake", "inspection", at=d(7, 20), days=0.5)
    await h.moved(u, "inspection", "mechanical", at=d(8, 8), days=0.5)
    await h.event(
        u,
        ev.UnitBlocked,
        at=d(8, 12),
        actor=_actor(tina),
        source="sms",
        kind="parts",
        stage="mechanical",
    )

    e = await h.unit(
        "E500", received_at=d(-5), stage="sublet", stage_entered_at=d(-3), blocker_kind="vendor"
    )
    await h.moved(e, "intake", "inspection", at=d(-4), days=1)
    await h.moved(e, "inspection", "sublet", at=d(-3), days=1)
    await h.event(e, ev.UnitBlocked, at=d(-1), kind="vendor", stage="sublet")

    f = await h.unit(
        "F600", received_at=d(3), stage="detail", stage_entered_at=d(4), removed_at=d(5)
    )
    await h.moved(f, "intake", "detail", at=d(4), days=1)
    await h.event(f, ev.UnitRemoved, at=d(5), actor=DMS, source="inventory", reason="sold off")

    g = await h.unit("G700", received_at=d(-6), stage="frontline", stage_entered_at=d(1, 12))
    await h.moved(g, "photos", "frontline", at=d(-2), days=1)
    await h.moved(g, "frontline", "detail", at=d(1), days=3)
    await h.moved(g, "detail", "frontline", at=d(1, 12), days=0.5)

    # Work items: three opened in the window (one by text), two done by text, one before it.
    await h.work_item(a, ev.WorkItemOpened, "tires", at=d(-1))
    await h.work_item(a, ev.WorkItemOpened, "front brakes", at=d(2, 9))
    await h.work_item(b, ev.WorkItemOpened, "oil change", at=d(2, 9))
    await h.work_item(b, ev.WorkItemOpened, "wipers", at=d(3, 21), by=tina, source="sms")
    await h.work_item(a, ev.WorkItemDone, "front brakes", at=d(4, 10), by=tina, source="sms")
    await h.work_item(b, ev.WorkItemDone, "oil change", at=d(4, 10), by=tina, source="sms")

    # Texts: four from Tina and one from an unknown phone in the window, one before it.
    for hours in (9, 10, 11, 12):
        h.inbound_text(at=d(4, hours), by=tina)
    h.inbound_text(at=d(5, 9), by=None)
    h.inbound_text(at=d(-1), by=tina)
    await session.flush()
