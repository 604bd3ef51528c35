"""Units as the API shows them (DESIGN §5) and the bodies of the unit actions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from board_api.events.schemas import Event
from recon.domain.stages import BlockerKind, Stage


class Blocker(BaseModel):
    kind: str
    note: str | None
    since: datetime | None
    eta: date | None


class WorkItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    status: Literal["open", "done"]
    vendor: str | None
    approved: bool
    opened_at: datetime
    done_at: datetime | None
    opened_by: str | None
    done_by: str | None


class Note(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    body: str
    author: str
    created_at: datetime


class WeOwe(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    item: str
    status: Literal["open", "done"]
    created_at: datetime
    done_at: datetime | None


class Ack(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    staff_id: uuid.UUID | None
    by: str
    stage: str
    at: datetime


class Photo(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    created_at: datetime


class UnitRecord(BaseModel):
    """What is stored about a unit: it changes only with the store's events."""

    id: uuid.UUID
    store: str = Field(description="The store's slug.")
    vin: str
    stock_number: str
    year: int | None
    make: str | None
    model: str | None
    trim: str | None
    exterior_color: str | None
    mileage: int | None
    stage: str
    stage_entered_at: datetime
    received_at: datetime
    status: Literal["active", "removed"]
    blocker: Blocker | None
    work_items: list[WorkItem]
    notes: list[Note]
    we_owe: list[WeOwe]
    acks: list[Ack]
    photos: list[Photo]
    version: int


class Unit(UnitRecord):
    """A unit as DESIGN §5 shows it: its record, then its clocks at the time of the answer
    (last, so the JSON of its record is a prefix of the unit's, which the list cache relies on)."""

    days_in_recon: float
    days_in_stage: float
    stage_target_hours: float | None = Field(description="The store's target for this stage.")
    overdue: bool = Field(description="In this stage longer than the store's target.")


class UnitDetail(Unit):
    timeline: list[Event] = Field(description="Every event of the unit, oldest first.")


VERSION_FIELD: Any = Field(
    default=None,
    description="The unit's version you last saw; a stale one is refused with 409.",
)


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = VERSION_FIELD


class UnitMove(_Action):
    model_config = ConfigDict(json_schema_extra={"examples": [{"stage": "detail", "version": 3}]})

    stage: Stage


class UnitDone(_Action):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"stage": "mechanical", "version": 3}]}
    )

    stage: Stage | None = Field(default=None, description="The stage finished; default: current.")


class WorkItemsOpen(_Action):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"names": ["front brakes", "alignment"], "vendor": None, "version": 3}]
        }
    )

    names: list[str] = Field(min_length=1, max_length=50)
    vendor: str | None = Field(default=None, max_length=200, description="Outside vendor (sublet).")
    approved: bool = False


class VersionOnly(_Action):
    model_config = ConfigDict(json_schema_extra={"examples": [{"version": 3}]})


class BlockerSet(_Action):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"kind": "parts", "note": "rotors on order", "eta": "2025-06-03", "version": 3}
            ]
        }
    )

    kind: BlockerKind
    note: str | None = Field(default=None, max_length=2000)
    eta: date | None = None


class NoteCreate(_Action):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"body": "customer wants it by Friday", "version": 3}]}
    )

    body: str = Field(min_length=1, max_length=2000)


class WeOweCreate(_Action):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"item": "second key", "version": 3}]}
    )

    item: str = Field(min_length=1, max_length=200)
