"""Texts in and out: every one is stored as a message and announced as an event."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
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
) -> Message | None:
    """Store a text that came in, with its `message.received` event; None when a text with
    this provider SID is already stored for the store (the first copy is the one kept)."""
    await lock_store_events(session, store_id)
    message = await _insert(
        session,
        {
            "store_id": store_id,
            "direction": "inbound",
            "from_number": from_number,
            "to_number": to_number,
            "body": body,
            "status": status,
            "staff_id": staff_id,
            "provider_sid": provider_sid,
            "media_urls": list(media_urls),
        },
        # A provider retrying a text it already delivered (same MessageSid) stores nothing.
        unique_sid=provider_sid is not None,
    )
    if message is None:
        return None
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
    message = await _insert(
        session,
        {
            "store_id": store_id,
            "direction": "outbound",
            "from_number": from_number,
            "to_number": to_number,
            "body": body,
            "status": status,
            "kind": kind,
            "staff_id": staff_id,
            "provider_sid": provider_sid,
            "reply_to_id": reply_to_id,
        },
    )
    assert message is not None
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


# How far along its way an outbound text is, by the provider's statuses; an unknown status
# (the provider may add some) counts as under way.
DELIVERY_PROGRESS = {
    "pending": 0,
    "accepted": 1,
    "scheduled": 1,
    "queued": 2,
    "sending": 3,
    "sent": 4,
    "partially_delivered": 5,
    "delivered": 6,
    "undelivered": 6,
    "failed": 6,
    "canceled": 6,
    "read": 7,
}


def _progress(status: str | None) -> int:
    return DELIVERY_PROGRESS.get(status or "pending", DELIVERY_PROGRESS["sent"])


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
    if _progress(status) < _progress(message.status):
        return message  # a late callback: the provider does not promise their order
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


async def _insert(
    session: AsyncSession, values: dict[str, Any], *, unique_sid: bool = False
) -> Message | None:
    """One INSERT … RETURNING (the ORM's unit of work costs several times more per row); the
    returned Message is in the session like any loaded one."""
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "media_urls": [],
        "unit_ids": [],
        # The clock, not the transaction's start: a text and its reply written together
        # must still list in the order they happened.
        "created_at": datetime.now(UTC),
        **values,
    }
    statement = insert(Message).values(row)
    if unique_sid:
        statement = statement.on_conflict_do_nothing(
            index_elements=["store_id", "provider_sid"], index_where=text("direction = 'inbound'")
        )
    result = await session.execute(statement.returning(Message))
    return result.scalar_one_or_none()


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
