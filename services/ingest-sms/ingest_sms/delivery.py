"""Delivery status callbacks: the outbound message's status and error code, and the carrier's
"this number unsubscribed" (21610) turned into the staff member's opt-out."""

from __future__ import annotations

import logging
import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recon.db.models import Message
from recon.domain.messages import update_delivery_status
from recon.domain.sms import set_sms_opt_out

log = logging.getLogger(__name__)

SERVICE = "ingest-sms"
# Twilio: "Attempt to send to unsubscribed recipient" (the number texted STOP to the carrier).
UNSUBSCRIBED = "21610"
# Any status word is taken (Twilio adds some now and then, e.g. partially_delivered); how far
# along each is lives with the messages (recon.domain.messages.DELIVERY_PROGRESS).
STATUS = re.compile(r"[a-z][a-z_-]{0,31}")


async def record_status(
    session: AsyncSession, *, message_sid: str, status: str, error_code: str | None
) -> Message | None:
    """Update the outbound message Twilio reports on; None when no message has that SID."""
    message = (
        await session.execute(
            select(Message)
            .where(Message.provider_sid == message_sid, Message.direction == "outbound")
            .limit(1)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if message is None:
        log.warning("status %s for unknown message %r; ignored", status, message_sid)
        return None
    await update_delivery_status(
        session, message, status=status, error_code=error_code, service=SERVICE
    )
    if error_code == UNSUBSCRIBED:
        await set_sms_opt_out(
            session, store_id=message.store_id, phone=message.to_number, opted_out=True
        )
    return message
