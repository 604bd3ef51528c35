"""Reading the store's texts, oldest first."""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from board_api.messages import schemas
from board_api.pagination import after_time_and_id, split_page, time_and_id_cursor
from recon.db.models import Message, Staff, Store
from recon.domain.errors import InvalidInput
from recon.phones import try_e164


async def list_messages(
    session: AsyncSession,
    *,
    store: Store,
    phone: str | None,
    direction: Literal["inbound", "outbound"] | None,
    status: str | None,
    unit_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[schemas.Message], str | None]:
    query = (
        select(Message, Staff)
        .outerjoin(Staff, Staff.id == Message.staff_id)
        .where(Message.store_id == store.id)
        .order_by(Message.created_at, Message.id)
        .limit(limit + 1)
    )
    if phone:
        number = try_e164(phone)
        if number is None:
            raise InvalidInput(f"{phone!r} is not a phone number")
        query = query.where(or_(Message.from_number == number, Message.to_number == number))
    if direction is not None:
        query = query.where(Message.direction == direction)
    if status:
        query = query.where(Message.status == status)
    if unit_id is not None:
        query = query.where(Message.unit_ids.contains([unit_id]))
    if cursor is not None:
        query = query.where(after_time_and_id(Message.created_at, Message.id, cursor))
    rows, more = split_page((await session.execute(query)).all(), limit)
    items = [message_out(message, staff) for message, staff in rows]
    last = rows[-1][0] if rows else None
    return items, time_and_id_cursor(last.created_at, last.id) if more and last else None


def message_out(message: Message, staff: Staff | None) -> schemas.Message:
    return schemas.Message(
        id=message.id,
        direction=message.direction,
        from_=message.from_number,
        to=message.to_number,
        body=message.body,
        status=message.status,
        staff=schemas.MessageStaff.model_validate(staff) if staff else None,
        created_at=message.created_at,
        interpretation=message.interpretation,
        kind=message.kind,
        media_urls=message.media_urls or [],
        unit_ids=message.unit_ids or [],
        reply_to_id=message.reply_to_id,
        error_code=message.error_code,
    )
