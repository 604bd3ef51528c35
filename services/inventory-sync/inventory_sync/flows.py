"""One sync from start to history: the domain applies the feed, the run is recorded in the
same transaction. Pushes and pulls both come through here."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from inventory_sync.feeds import Feed
from inventory_sync.history import record_run
from recon.domain.event_log import Cause
from recon.domain.inventory import SyncMode, SyncResult, sync_inventory
from recon.events import Actor

SERVICE = "inventory-sync"


def inventory_cause(name: str) -> Cause:
    return Cause(actor=Actor(kind="inventory", name=name), source="inventory", service=SERVICE)


async def apply_feed(
    session: AsyncSession,
    *,
    store_id: uuid.UUID,
    feed: Feed,
    mode: SyncMode,
    source: str,
    actor_name: str,
    started_at: datetime | None = None,
) -> SyncResult:
    started_at = started_at or datetime.now(UTC)
    result = await sync_inventory(
        session, store_id=store_id, mode=mode, rows=feed.rows, cause=inventory_cause(actor_name)
    )
    record_run(
        session, store_id=store_id, source=source, mode=mode, started_at=started_at, result=result
    )
    await session.flush()
    return result
