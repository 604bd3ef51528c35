"""Texts in and out as the API shows them (DESIGN §5)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class MessageStaff(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    role: str


class Message(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: uuid.UUID
    direction: Literal["inbound", "outbound"]
    from_: str = Field(alias="from")
    to: str
    body: str
    status: str = Field(description="e.g. applied, needs_review, received, queued, delivered.")
    staff: MessageStaff | None = Field(description="The staff member who sent or receives it.")
    created_at: datetime
    interpretation: dict[str, Any] | None = Field(
        description="What the text was understood to mean, or why it was not."
    )
    kind: str | None = None
    media_urls: list[str] = []
    unit_ids: list[uuid.UUID] = []
    reply_to_id: uuid.UUID | None = None
    error_code: str | None = None
