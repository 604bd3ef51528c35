"""A unit event as the API shows it: in a unit's timeline, in `GET …/events` and on the stream."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class EventActor(BaseModel):
    kind: Literal["staff", "api", "inventory", "system"]
    staff_id: uuid.UUID | None = None
    name: str | None = None


class Event(BaseModel):
    id: uuid.UUID
    seq: int = Field(description="The event's number in its store, in commit order (SSE id).")
    type: str = Field(examples=["unit.stage_changed"])
    time: datetime
    unit_id: uuid.UUID | None
    stock_number: str | None
    message_id: uuid.UUID | None = Field(description="The text that caused it, if any.")
    source: str = Field(description="sms, api, inventory, board or system.")
    actor: EventActor
    who: str = Field(description="Staff name, API client label, or the system.")
    text: str | None = Field(description="The body of the text that caused it, if any.")
    data: dict[str, Any] = Field(description="The event's payload (see the event schemas).")
