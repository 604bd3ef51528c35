"""The payload of every event type (DESIGN §6): one pydantic model per type, defined once."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


class Actor(BaseModel):
    """Who made a change: a staff member by text, an API client, the DMS feed, or the system."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["staff", "api", "inventory", "system"]
    staff_id: uuid.UUID | None = None
    name: str | None = None


class EventData(BaseModel):
    """Base of every payload; `event_type` is the short type (`unit.stage_changed`)."""

    model_config = ConfigDict(extra="forbid")
    event_type: ClassVar[str]


class UnitEventData(EventData):
    unit_id: uuid.UUID
    stock_number: str
    version: int = Field(description="The unit's version after the change.")
    actor: Actor
    source: str = Field(description="sms, api, inventory, board or system.")
    message_id: uuid.UUID | None = Field(
        default=None, description="The inbound text that caused the change, if any."
    )


class VehicleFields(BaseModel):
    vin: str
    stock_number: str
    year: int | None = None
    make: str | None = None
    model: str | None = None
    trim: str | None = None
    exterior_color: str | None = None
    mileage: int | None = None
    received_at: datetime | None = None


class FieldChange(BaseModel):
    old: Any = None
    new: Any = None


class UnitCreated(UnitEventData):
    event_type = "unit.created"
    vehicle: VehicleFields
    stage: str


class UnitUpdated(UnitEventData):
    event_type = "unit.updated"
    changes: dict[str, FieldChange]


class UnitRemoved(UnitEventData):
    event_type = "unit.removed"
    reason: str


class UnitStageChanged(UnitEventData):
    event_type = "unit.stage_changed"
    from_stage: str
    to_stage: str
    reason: Literal["move", "done"]
    days_in_previous_stage: float


class UnitBlocked(UnitEventData):
    event_type = "unit.blocked"
    kind: str
    note: str | None = None
    eta: date | None = None
    stage: str


class UnitUnblocked(UnitEventData):
    event_type = "unit.unblocked"
    kind: str
    note: str | None = None
    blocked_hours: float
    stage: str


class WorkItemOpened(UnitEventData):
    event_type = "work_item.opened"
    work_item_id: uuid.UUID
    name: str
    vendor: str | None = None
    approved: bool = False


class WorkItemDone(UnitEventData):
    event_type = "work_item.done"
    work_item_id: uuid.UUID
    name: str
    vendor: str | None = None


class NoteAdded(UnitEventData):
    event_type = "note.added"
    note_id: uuid.UUID
    body: str


class WeOweAdded(UnitEventData):
    event_type = "we_owe.added"
    we_owe_id: uuid.UUID
    item: str


class WeOweDone(UnitEventData):
    event_type = "we_owe.done"
    we_owe_id: uuid.UUID
    item: str


class UnitAcknowledged(UnitEventData):
    event_type = "unit.acknowledged"
    staff_id: uuid.UUID | None
    by: str
    stage: str


class MessageEventData(EventData):
    message_id: uuid.UUID
    from_: str = Field(alias="from")
    to: str
    staff_id: uuid.UUID | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)


class MessageReceived(MessageEventData):
    event_type = "message.received"
    body: str
    media_urls: list[str] = []


class MessageSent(MessageEventData):
    event_type = "message.sent"
    body: str
    status: str
    reply_to_id: uuid.UUID | None = None


class MessageStatus(MessageEventData):
    event_type = "message.status"
    status: str
    error_code: str | None = None


EVENT_TYPES: dict[str, type[EventData]] = {
    model.event_type: model
    for model in (
        UnitCreated,
        UnitUpdated,
        UnitRemoved,
        UnitStageChanged,
        UnitBlocked,
        UnitUnblocked,
        WorkItemOpened,
        WorkItemDone,
        NoteAdded,
        WeOweAdded,
        WeOweDone,
        UnitAcknowledged,
        MessageReceived,
        MessageSent,
        MessageStatus,
    )
}
