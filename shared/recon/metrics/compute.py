"""How every store metric is computed: the one home of these definitions.

The window. `days=N` covers the store's last N calendar days in its own time zone: from local
midnight N-1 days before today up to now (today so far included). Daily figures are bucketed by
the local date.

Stays. A stay is one unit's time in one stage, from entering it to leaving it. A stay that
ended is a `unit.stage_changed` event (ending at the event, lasting `days_in_previous_stage`);
a unit's current stay runs from its `stage_entered_at` to now, or to its removal when the DMS
feed dropped it. The recon stages are intake, inspection, mechanical, sublet, detail and photos.

- Units now: units on the board (not removed) in a recon stage, per stage; those with a
  blocker, per kind; over target: those whose hours in their current stage exceed the store's
  `stage_targets_hours` for it (a stage without a target is never over). `frontline` counts
  units at frontline.
- Days to frontline: for each unit whose first ever arrival at frontline falls in the window,
  the days from its `received_at` to that arrival. Average, median and p90 over those units
  (percentiles interpolate linearly between the closest ranks, like Postgres `percentile_cont`);
  the trend has one entry per local day: units that first reached frontline that day and their
  average.
- Dwell: per recon stage, the mean length of the stays that ended inside the window (a unit
  moved on); the bottleneck is the stage with the longest mean (the earlier stage on a tie).
  Stays cut short by removal are not dwell.
- Holding cost, at the store's `holding_cost_per_day` per car per day:
  `accruing_per_day` = units in recon now × cost; `accrued_by_units_in_recon` = Σ over units in
  recon now of days since `received_at` × cost; `unit_days_in_window` = Σ over recon-stage stays
  of the part inside the window; `over_target_unit_days_in_window` = the part of each recon stay
  past its stage's target that lies inside the window; each × cost.
- Adoption, inside the window: `updates` = unit events made by people (every source but the
  DMS feed and the system); `texted_updates` = those with source `sms`; work items opened and
  done; `inbound_texts` = texts received on the store's number, `staff_texting` = distinct staff
  among their senders; `per_staff` = updates per staff member who made them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from recon.db.models import Store
from recon.domain.stages import RECON_STAGES, BlockerKind, Stage
from recon.metrics import queries
from recon.metrics.queries import BoardUnit, FrontlineArrival, StageStays, StageTime, Window
from recon.metrics.schemas import (
    Adoption,
    BlockedCount,
    DaysToFrontline,
    Dwell,
    FrontlineDay,
    HoldingCost,
    MetricsWindow,
    OverTargetUnit,
    StaffUpdates,
    StageCount,
    StageDwell,
    StoreMetrics,
    UnitsNow,
)

MAX_WINDOW_DAYS = 365
SECONDS_PER_DAY = 86400.0


async def compute_store_metrics(
    session: AsyncSession, *, store: Store, days: int, now: datetime | None = None
) -> StoreMetrics:
    """Every metric of `store` over its last `days` local days, as of `now` (default: now)."""
    if not 1 <= days <= MAX_WINDOW_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_WINDOW_DAYS}")
    # Differences of aware datetimes are wall-clock when both share a zone: keep UTC here.
    now = (now or datetime.now(UTC)).astimezone(UTC)
    zone = store_zone(store)
    start = window_start(now, zone, days)
    window = Window(store_id=store.id, start=start, end=now, timezone=zone.key)
    targets = stage_targets_hours(store)
    cost_per_day = float(store.holding_cost_per_day or Decimal(0))

    on_board = await queries.units_on_board(session, store.id)
    units_now = _units_now(store, on_board, targets, now)
    arrivals = await queries.first_frontline_arrivals(session, window)
    stays = await queries.stays_ended_in_window(session, window)
    recon_time = await queries.recon_time_in_window(session, window, targets_hours=targets)
    counts = await queries.update_counts(session, window)
    per_staff = await queries.updates_per_staff(session, window)
    texts = await queries.inbound_text_counts(session, window)

    return StoreMetrics(
        store=store.slug,
        window=MetricsWindow(
            days=days, timezone=zone.key, start=start.astimezone(zone), end=now.astimezone(zone)
        ),
        units_now=units_now,
        days_to_frontline=_days_to_frontline(arrivals, window_dates(start, zone, days)),
        dwell=_dwell(store, stays, targets),
        holding_cost=_holding_cost(on_board, recon_time, cost_per_day, now),
        adoption=Adoption(
            updates=counts.updates,
            texted_updates=counts.texted_updates,
            texted_share=_ratio(counts.texted_updates, counts.updates),
            work_items_opened=counts.work_items_opened,
            work_items_done=counts.work_items_done,
            inbound_texts=texts.inbound_texts,
            staff_texting=texts.staff_texting,
            per_staff=[StaffUpdates.model_validate(row, from_attributes=True) for row in per_staff],
        ),
    )


# --- the store's settings, read leniently (a bad value must not break the metrics page) ----


def store_zone(store: Store) -> ZoneInfo:
    try:
        return ZoneInfo(store.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def stage_targets_hours(store: Store) -> dict[str, float]:
    """The store's per-stage targets in hours; stages without a usable number have none."""
    targets: dict[str, float] = {}
    for stage, hours in (store.stage_targets_hours or {}).items():
        try:
            value = float(hours)
        except (TypeError, ValueError):
            continue
        if math.isfinite(value) and value > 0:
            targets[str(stage)] = value
    return targets


def stage_label(store: Store, stage: str) -> str:
    label = (store.stage_labels or {}).get(stage)
    return str(label) if label else stage.title()


# --- the window ----------------------------------------------------------------------------


def window_start(now: datetime, zone: ZoneInfo, days: int) -> datetime:
    """Local midnight of the window's first day: `days - 1` days before today, in `zone`."""
    first_day = now.astimezone(zone).date() - timedelta(days=days - 1)
    return datetime.combine(first_day, time(0), tzinfo=zone)


def window_dates(start: datetime, zone: ZoneInfo, days: int) -> list[date]:
    first_day = start.astimezone(zone).date()
    return [first_day + timedelta(days=offset) for offset in range(days)]


# --- pure figures --------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks (Postgres `percentile_cont`)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def _units_now(
    store: Store, on_board: Sequence[BoardUnit], targets: dict[str, float], now: datetime
) -> UnitsNow:
    in_recon = [unit for unit in on_board if unit.stage in queries.RECON_STAGE_KEYS]
    per_stage = Counter(unit.stage for unit in in_recon)
    blocked = Counter(unit.blocker_kind for unit in in_recon if unit.blocker_kind)
    over: list[OverTargetUnit] = []
    for unit in in_recon:
        target = targets.get(unit.stage)
        hours = (now - unit.stage_entered_at).total_seconds() / 3600
        if target is not None and hours > target:
            over.append(
                OverTargetUnit(
                    unit_id=unit.id,
                    stock_number=unit.stock_number,
                    stage=unit.stage,
                    hours_in_stage=round(hours, 1),
                    target_hours=target,
                    hours_over_target=round(hours - target, 1),
                    blocker_kind=unit.blocker_kind,
                )
            )
    over.sort(key=lambda unit: unit.hours_over_target, reverse=True)
    return UnitsNow(
        in_recon=len(in_recon),
        per_stage=[
            StageCount(stage=stage, label=stage_label(store, stage), units=per_stage[stage])
            for stage in RECON_STAGES
        ],
        blocked=sum(blocked.values()),
        blocked_by_kind=[BlockedCount(kind=kind, units=blocked[kind]) for kind in BlockerKind],
        over_target=len(over),
        over_target_units=over,
        frontline=sum(1 for unit in on_board if unit.stage == Stage.FRONTLINE),
    )


def _days_to_frontline(arrivals: Sequence[FrontlineArrival], dates: list[date]) -> DaysToFrontline:
    values = [arrival.days_to_frontline for arrival in arrivals]
    by_day: dict[date, list[float]] = {}
    for arrival in arrivals:
        by_day.setdefault(arrival.local_day, []).append(arrival.days_to_frontline)
    return DaysToFrontline(
        units_reached_frontline=len(values),
        average_days=_round(_mean(values)),
        median_days=_round(percentile(values, 0.5)),
        p90_days=_round(percentile(values, 0.9)),
        trend=[
            FrontlineDay(
                date=day,
                units_reached_frontline=len(by_day.get(day, [])),
                average_days_to_frontline=_round(_mean(by_day.get(day, []))),
            )
            for day in dates
        ],
    )


def _dwell(store: Store, stays: dict[str, StageStays], targets: dict[str, float]) -> Dwell:
    stages = []
    bottleneck: StageDwell | None = None
    for stage in RECON_STAGES:
        ended = stays.get(stage)
        target = targets.get(stage)
        dwell = StageDwell(
            stage=stage,
            label=stage_label(store, stage),
            stays=ended.stays if ended else 0,
            average_days=_round(ended.average_days) if ended else None,
            target_days=_round(target / 24) if target is not None else None,
        )
        stages.append(dwell)
        if dwell.average_days is not None and (
            bottleneck is None or dwell.average_days > (bottleneck.average_days or 0)
        ):
            bottleneck = dwell
    return Dwell(stages=stages, bottleneck_stage=bottleneck.stage if bottleneck else None)


def _holding_cost(
    on_board: Sequence[BoardUnit],
    recon_time: dict[str, StageTime],
    cost_per_day: float,
    now: datetime,
) -> HoldingCost:
    in_recon = [unit for unit in on_board if unit.stage in queries.RECON_STAGE_KEYS]
    days_in_recon = sum(
        max(0.0, (now - unit.received_at).total_seconds()) / SECONDS_PER_DAY for unit in in_recon
    )
    unit_days = sum(spent.seconds_in_window for spent in recon_time.values()) / SECONDS_PER_DAY
    over_days = (
        sum(spent.over_target_seconds_in_window for spent in recon_time.values()) / SECONDS_PER_DAY
    )
    return HoldingCost(
        cost_per_unit_day=_money(cost_per_day),
        accruing_per_day=_money(len(in_recon) * cost_per_day),
        accrued_by_units_in_recon=_money(days_in_recon * cost_per_day),
        unit_days_in_window=round(unit_days, 2),
        cost_in_window=_money(unit_days * cost_per_day),
        over_target_unit_days_in_window=round(over_days, 2),
        over_target_cost_in_window=_money(over_days * cost_per_day),
    )


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _money(value: float) -> float:
    return round(value, 2)
