"""The morning standup: at each store's local digest time its managers get one text with the
state of the lot. Several notifier copies may all try; the digest's event id (store + local
date) and the notifications' unique key make it one text per manager per day."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from notifier.queueing import queue_texts
from notifier.routing import staff_for
from notifier.schedule import local_date, local_day_bounds
from notifier.texts import stage_label
from recon.db.models import Notification, Store, Unit, UnitEvent
from recon.domain.notification_rules import load_rules
from recon.domain.stages import RECON_STAGES, STAGE_ORDER, Stage
from recon.settings import Settings

DIGEST_NAMESPACE = uuid.UUID("6f1d3c52-8f0e-4a8e-9a53-6a4f3f0d2b7e")
BOARD_STAGES = tuple(stage for stage in STAGE_ORDER if stage != Stage.SOLD)
FRONTLINE_AVERAGE_DAYS = 30


def digest_event_id(store_id: uuid.UUID, day: date) -> uuid.UUID:
    return uuid.uuid5(DIGEST_NAMESPACE, f"digest:{store_id}:{day.isoformat()}")


def board_link(settings: Settings, store: Store) -> str:
    return f"{settings.board_base_url.rstrip('/')}/board/{store.board_token}"


@dataclass(frozen=True)
class Standup:
    day: date
    units_per_stage: dict[str, int]
    blocked_by_kind: dict[str, int]
    over_target: int
    frontline_yesterday: int
    average_days_to_frontline: float | None
    holding_cost_today: Decimal
    board_link: str


async def standup(
    session: AsyncSession, store: Store, *, now: datetime, settings: Settings
) -> Standup:
    today = local_date(now, store.timezone)
    on_board = (
        await session.execute(
            select(Unit.stage, Unit.blocker_kind, Unit.stage_entered_at).where(
                Unit.store_id == store.id, Unit.removed_at.is_(None), Unit.stage != Stage.SOLD
            )
        )
    ).all()
    per_stage = Counter(stage for stage, _, _ in on_board)
    blocked = Counter(kind for _, kind, _ in on_board if kind)
    targets = store.stage_targets_hours or {}
    over_target = sum(
        1
        for stage, _, entered in on_board
        if stage in targets and now - entered > timedelta(hours=float(targets[stage]))
    )
    reached_frontline = (UnitEvent.type == "unit.stage_changed") & (
        UnitEvent.data["to_stage"].astext == Stage.FRONTLINE.value
    )
    start, end = local_day_bounds(today - timedelta(days=1), store.timezone)
    frontline_yesterday = await session.scalar(
        select(func.count(func.distinct(UnitEvent.unit_id))).where(
            UnitEvent.store_id == store.id,
            reached_frontline,
            UnitEvent.created_at >= start,
            UnitEvent.created_at < end,
        )
    )
    average_seconds = await session.scalar(
        select(func.avg(func.extract("epoch", UnitEvent.created_at - Unit.received_at)))
        .join(Unit, Unit.id == UnitEvent.unit_id)
        .where(
            UnitEvent.store_id == store.id,
            reached_frontline,
            UnitEvent.created_at >= now - timedelta(days=FRONTLINE_AVERAGE_DAYS),
        )
    )
    in_recon = sum(per_stage[stage] for stage in RECON_STAGES)
    return Standup(
        day=today,
        units_per_stage={stage.value: per_stage[stage] for stage in BOARD_STAGES},
        blocked_by_kind=dict(sorted(blocked.items())),
        over_target=over_target,
        frontline_yesterday=int(frontline_yesterday or 0),
        average_days_to_frontline=(
            round(float(average_seconds) / 86400, 1) if average_seconds is not None else None
        ),
        holding_cost_today=Decimal(in_recon) * store.holding_cost_per_day,
        board_link=board_link(settings, store),
    )


def digest_text(store: Store, report: Standup) -> str:
    stages = ", ".join(
        f"{stage_label(store, stage)} {count}" for stage, count in report.units_per_stage.items()
    )
    blocked = ", ".join(f"{kind} {count}" for kind, count in report.blocked_by_kind.items())
    average = (
        f"{report.average_days_to_frontline:g}"
        if report.average_days_to_frontline is not None
        else "n/a"
    )
    return "\n".join(
        [
            f"Standup {store.name}, {report.day.strftime('%a %b')} {report.day.day}",
            f"Units: {stages}",
            f"Blocked: {blocked or 'none'}",
            f"Over target: {report.over_target}",
            f"Reached frontline yesterday: {report.frontline_yesterday}",
            f"Avg days to frontline: {average}",
            f"Holding cost today: ${report.holding_cost_today:,.0f}",
            f"Board: {report.board_link}",
        ]
    )


def digest_due(store: Store, *, now: datetime, grace: timedelta) -> date | None:
    """The local date whose digest is due now, if any: from the store's digest time until the
    grace period ends (a notifier down all morning does not send a stale standup at 4 pm)."""
    zone = ZoneInfo(store.timezone)
    local = now.astimezone(zone)
    due_at = datetime.combine(local.date(), store.digest_time, tzinfo=zone)
    return local.date() if due_at <= local < due_at + grace else None


async def queue_due_digests(session: AsyncSession, *, now: datetime, settings: Settings) -> int:
    """Queue today's digest for every store whose digest time has come; returns texts queued."""
    grace = timedelta(hours=settings.digest_grace_hours)
    queued = 0
    for store in (await session.scalars(select(Store))).all():
        day = digest_due(store, now=now, grace=grace)
        if day is None:
            continue
        event_id = digest_event_id(store.id, day)
        already = await session.scalar(
            select(Notification.id).where(Notification.event_id == event_id).limit(1)
        )
        if already is not None:
            continue
        rules, _ = await load_rules(session, store.id)
        matching = [r for r in rules if r.matches("digest", stage=None, blocker_kind=None)]
        people = await staff_for(session, store.id, matching)
        if not people:
            continue
        body = digest_text(store, await standup(session, store, now=now, settings=settings))
        queued += await queue_texts(
            session,
            store=store,
            event_id=event_id,
            unit_id=None,
            kind="digest",
            texts=[(person, body) for person in people],
            now=now,
            settings=settings,
            urgent=True,  # the store chose this time itself, quiet hours or not
        )
    return queued
