"""The CloudEvents 1.0 envelope every event travels in, and the subject it is published on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from recon.events.types import EVENT_TYPES, EventData

STREAM_NAME = "RECON"
SUBJECT_PREFIX = "recon"
TYPE_PREFIX = "recon."


class CloudEvent(BaseModel):
    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID
    source: str = Field(description="recon/<service> that made the change.")
    type: str = Field(description="recon.<type>, e.g. recon.unit.stage_changed.")
    subject: str = Field(description="The unit id (message id for message events).")
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    store: str = Field(description="The store's slug.")
    seq: int = Field(description="The event's number within its store, in commit order.")
    data: dict[str, Any]

    @property
    def short_type(self) -> str:
        return self.type.removeprefix(TYPE_PREFIX)

    def payload(self) -> EventData:
        """The typed payload for this event's type."""
        return EVENT_TYPES[self.short_type].model_validate(self.data)


def subject_for(store_slug: str, short_type: str) -> str:
    return f"{SUBJECT_PREFIX}.{store_slug}.{short_type}"


def store_subjects(store_slug: str) -> str:
    return f"{SUBJECT_PREFIX}.{store_slug}.>"


def build_event(
    data: EventData,
    *,
    store_slug: str,
    seq: int,
    subject: uuid.UUID,
    service: str,
    event_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> CloudEvent:
    return CloudEvent(
        id=event_id or uuid.uuid4(),
        source=f"recon/{service}",
        type=TYPE_PREFIX + data.event_type,
        subject=str(subject),
        time=at or datetime.now(UTC),
        store=store_slug,
        seq=seq,
        data=data.model_dump(mode="json", by_alias=True),
    )
