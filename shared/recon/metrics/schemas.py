"""The store metrics as JSON: one pydantic model per section of GET /stores/{slug}/metrics.

Every figure is defined in `recon.metrics.compute` and in the README's "Metrics" section.
Durations are in days (hours where a stage target is involved), money in the store's currency
rounded to cents.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field


class MetricsWindow(BaseModel):
    days: int = Field(
        description="The window's length in the store's calendar days, today included."
    )
    timezone: str = Field(description="The store's time zone, in which days start at midnight.")
    start: datetime = Field(description="Local midnight of the window's first day.")
    end: datetime = Field(description="When the figures were computed (now).")


class StageCount(BaseModel):
    stage: str
    label: str
    units: int


class BlockedCount(BaseModel):
    kind: str
    units: int


class OverTargetUnit(BaseModel):
    unit_id: uuid.UUID
    stock_number: str
    stage: str
    hours_in_stage: float
    target_hours: float
    hours_over_target: float
    blocker_kind: str | None


class UnitsNow(BaseModel):
    in_recon: int = Field(description="Units on the board in a stage before frontline.")
    per_stage: list[StageCount] = Field(description="Units in recon, per recon stage.")
    blocked: int = Field(description="Units in recon with a blocker.")
    blocked_by_kind: list[BlockedCount]
    over_target: int = Field(description="Units in recon longer in their stage than its target.")
    over_target_units: list[OverTargetUnit] = Field(description="Worst first.")
    frontline: int = Field(description="Units on the board at frontline, ready to sell.")


class FrontlineDay(BaseModel):
    date: date
    units_reached_frontline: int
    average_days_to_frontline: float | None


class DaysToFrontline(BaseModel):
    units_reached_frontline: int = Field(
        description="Units that first reached frontline inside the window."
    )
    average_days: float | None
    median_days: float | None
    p90_days: float | None
    trend: list[FrontlineDay] = Field(description="One entry per day of the window, oldest first.")


class StageDwell(BaseModel):
    stage: str
    label: str
    stays: int = Field(description="Stays in this stage that ended inside the window.")
    average_days: float | None
    target_days: float | None


class Dwell(BaseModel):
    stages: list[StageDwell] = Field(description="The recon stages, in flow order.")
    bottleneck_stage: str | None = Field(
        description="The recon stage with the longest average dwell; null without stays."
    )


class HoldingCost(BaseModel):
    cost_per_unit_day: float = Field(description="The store's holding cost per car per day.")
    accruing_per_day: float = Field(
        description="What the units in recon now cost per day: units in recon × cost per day."
    )
    accrued_by_units_in_recon: float = Field(
        description="What the units in recon now have cost since they were received."
    )
    unit_days_in_window: float = Field(
        description="Time units spent in recon stages inside the window, in unit-days."
    )
    cost_in_window: float
    over_target_unit_days_in_window: float = Field(
        description="The part of those unit-days spent beyond each stage's target."
    )
    over_target_cost_in_window: float


class StaffUpdates(BaseModel):
    staff_id: uuid.UUID
    name: str
    role: str
    updates: int
    texted_updates: int


class Adoption(BaseModel):
    updates: int = Field(description="Changes to units made by people (not the DMS feed).")
    texted_updates: int = Field(description="Those made by text message.")
    texted_share: float | None = Field(description="texted_updates / updates, 0..1.")
    work_items_opened: int
    work_items_done: int
    inbound_texts: int = Field(description="Texts received on the store's number.")
    staff_texting: int = Field(description="Staff members who sent at least one text.")
    per_staff: list[StaffUpdates] = Field(description="Most updates first.")


class StoreMetrics(BaseModel):
    store: str = Field(description="The store's slug.")
    window: MetricsWindow
    units_now: UnitsNow
    days_to_frontline: DaysToFrontline
    dwell: Dwell
    holding_cost: HoldingCost
    adoption: Adoption
