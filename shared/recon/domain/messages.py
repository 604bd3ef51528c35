"""Texts in and out: every one is stored as a message and announced as an event."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from recon.db.models import Message
from recon.domain.event_log import PendingEvent, append_events, lock_store_events
from recon.events import Actor
from recon.events import types as ev

SYSTEM = Actor(kind="system", name="Recon Board")


async def record_inbound(
    session: AsyncSession,
    *,
    store_id: uuid.UUID,
    from_number: str,
    to_number: str,
    body: str,
    provider_sid: str | None,
    staff_id: uuid.UUID | None,
    staff_name: str | None,
    media_urls: Sequence[str] = (),
    status: str = "received",
    service: str,
) -> Message:
    await lock_store_events(session, store_id)
    message = Message(
        id=uuid.uuid4(),
        store_id=store_id,
        direction="inbound",
        from_number=from_number,
        to_number=to_number,
        body=body,
        status=status,
        staff_id=staff_id,
        provider_sid=provider_sid,
        media_urls=list(media_urls),
        unit_ids=[],
        # The clock, not the transaction's start: a text and its reply written together
        # must still list in the order they happened.
        created_at=datetime.now(UTC),
    )
    session.add(message)
    await session.flush()
    actor = Actor(kind="staff", staff_id=staff_id, name=staff_name) if staff_id else SYSTEM
    data = ev.MessageReceived(
        message_id=message.id,
        from_=from_number,
        to=to_number,
        staff_id=staff_id,
        body=body,
        media_urls=list(media_urls),
    )
    await _announce(session, message, data, actor, service)
    return message


async def record_outbound(
    session: AsyncSession,
    *,
    store_id: uuid.UUID,
    from_number: str,
    to_number: str,
    body: str,
    staff_id: uuid.UUID | None,
    status: str,
    kind: str,
    service: str,
    reply_to_id: uuid.UUID | None = None,
    provider_sid: str | None = None,
) -> Message:
    await lock_store_events(session, store_id)
    message = Message(
        id=uuid.uuid4(),
        store_id=store_id,
        direction="outbound",
        from_number=from_number,
        to_number=to_number,
        body=body,
        status=status,
        kind=kind,
        staff_id=staff_id,
        provider_sid=provider_sid,
        reply_to_id=reply_to_id,
        media_urls=[],
        unit_ids=[],
        created_at=datetime.now(UTC),
    )
    session.add(message)
    await session.flush()
    data = ev.MessageSent(
        message_id=message.id,
        from_=from_number,
        to=to_number,
        staff_id=staff_id,
        body=body,
        status=status,
        reply_to_id=reply_to_id,
    )
    await _announce(session, message, data, SYSTEM, service)
    return message


async def update_delivery_status(
    session: AsyncSession,
    message: Message,
    *,
    status: str,
    error_code: str | None,
    service: str,
) -> Message:
    if (message.status, message.error_code) == (status, error_code):
        return message
    await lock_store_events(session, message.store_id)
    message.status = status
    message.error_code = error_code
    await session.flush()
    data = ev.MessageStatus(
        message_id=message.id,
        from_=message.from_number,
        to=message.to_number,
        staff_id=message.staff_id,
        status=status,
        error_code=error_code,
    )
    await _announce(session, message, data, SYSTEM, service)
    return message


async def _announce(
    session: AsyncSession,
    message: Message,
    data: ev.MessageEventData,
    actor: Actor,
    service: str,
) -> None:
    source = "sms" if message.direction == "inbound" else "system"
    await append_events(
        session,
        store_id=message.store_id,
        service=service,
        events=[
            PendingEvent(
                data=data,
                subject=message.id,
                unit_id=None,
                actor=actor,
                source=source,
                message_id=message.id,
            )
        ],
    )
