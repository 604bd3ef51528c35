"""Writing intended texts: one `notifications` row per (event, person, kind), held through the
store's quiet hours and the batching window. The unique key makes every writer idempotent."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifier.schedule import quiet_until
from recon.db.models import Notification, Staff, Store
from recon.settings import Settings


def can_text(staff: Staff) -> bool:
    """Never text someone inactive, opted out, or whose number the provider called invalid."""
    return staff.active and not staff.sms_opt_out and not staff.phone_invalid


def send_after(store: Store, *, now: datetime, settings: Settings, urgent: bool) -> datetime:
    """Urgent texts go now. Others wait out the quiet hours, or else the batching window so
    that what else happens to the same person meanwhile joins the same text."""
    if urgent:
        return now
    held = quiet_until(
        now, timezone=store.timezone, start=store.quiet_hours_start, end=store.quiet_hours_end
    )
    return held or now + timedelta(seconds=settings.notify_batch_seconds)


async def queue_texts(
    session: AsyncSession,
    *,
    store: Store,
    event_id: uuid.UUID,
    unit_id: uuid.UUID | None,
    kind: str,
    texts: Sequence[tuple[Staff, str]],
    now: datetime,
    settings: Settings,
    urgent: bool = False,
) -> int:
    """Queue one text per person (the unsendable left out); returns how many were new."""
    due = send_after(store, now=now, settings=settings, urgent=urgent)
    rows = [
        {
            "id": uuid.uuid4(),
            "store_id": store.id,
            "event_id": event_id,
            "staff_id": staff.id,
            "unit_id": unit_id,
            "kind": kind,
            "body": body,
            "status": "pending",
            "send_after": due,
        }
        for staff, body in texts
        if can_text(staff)
    ]
    if not rows:
        return 0
    statement = (
        insert(Notification)
        .values(rows)
        .on_conflict_do_nothing(constraint="uq_notifications_event_staff")
        .returning(Notification.id)
    )
    return len((await session.execute(statement)).all())
