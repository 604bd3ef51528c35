"""Needs-review: a text that was not understood is resolved from the board. The change itself
goes through the unit action endpoints (the same domain rules as texting); this marks the text
resolved, links it to the unit it was about and records who resolved it and how."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import recon.domain.units as units
from board_api.auth import SERVICE, StoreAccess
from recon.db.models import Message, Store
from recon.domain.errors import InvalidChange, NotFound
from recon.domain.messages import update_delivery_status

NEEDS_REVIEW = "needs_review"
RESOLVED = "resolved"


class MessageResolve(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"unit": "2231", "action": "moved to detail"}]},
    )

    unit: str | None = Field(
        default=None,
        max_length=64,
        description="The unit the text was about (stock number or id); none to just dismiss it.",
    )
    action: str | None = Field(
        default=None, max_length=200, description="What was done about it, in words."
    )


async def resolve_message(
    session: AsyncSession, *, access: StoreAccess, message_id: uuid.UUID, body: MessageResolve
) -> Message:
    store: Store = access.store
    message = await session.scalar(
        select(Message)
        .where(Message.store_id == store.id, Message.id == message_id)
        .with_for_update()
    )
    if message is None or message.direction != "inbound":
        raise NotFound(f"no inbound text {message_id} in this store")
    if message.status != NEEDS_REVIEW:
        raise InvalidChange(f"this text is {message.status}, not waiting for review")
    resolution: dict[str, object] = {
        "by": access.principal.label,
        "at": datetime.now(UTC).isoformat(),
        "action": body.action,
    }
    if body.unit:
        unit = await units.get_unit(session, store_id=store.id, ref=body.unit)
        resolution |= {"unit_id": str(unit.id), "stock_number": unit.stock_number}
        if unit.id not in (message.unit_ids or []):
            message.unit_ids = [*(message.unit_ids or []), unit.id]
    message.interpretation = {**(message.interpretation or {}), "resolution": resolution}
    # The status change is announced (message.status) so every open board drops it from review.
    return await update_delivery_status(
        session, message, status=RESOLVED, error_code=None, service=SERVICE
    )
