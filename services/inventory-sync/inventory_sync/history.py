"""The sync history: one row per run (pushed or pulled, applied or failed), newest first."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from recon.db.models import InventorySync
from recon.domain.errors import InvalidInput
from recon.domain.inventory import SyncMode, SyncResult


def record_run(
    session: AsyncSession,
    *,
    store_id: uuid.UUID,
    source: str,
    mode: SyncMode,
    started_at: datetime,
    result: SyncResult | None = None,
    error: str | None = None,
) -> InventorySync:
    """Add the run to the caller's transaction: an applied sync and its history row commit
    together. Without a result the run failed and changed nothing."""
    finished_at = datetime.now(UTC)
    result = result or SyncResult()
    run = InventorySync(
        id=uuid.uuid4(),
        store_id=store_id,
        source=source,
        mode=mode.value,
        status="failed" if error is not None else "ok",
        started_at=started_at,
        finished_at=finished_at,
        duration_ms=round((finished_at - started_at).total_seconds() * 1000),
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        removed=result.removed,
        rejected=[asdict(row) for row in result.rejected],
        error=error,
    )
    session.add(run)
    return run


async def list_runs(
    session: AsyncSession, *, store_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[InventorySync], str | None]:
    query = select(InventorySync).where(InventorySync.store_id == store_id)
    if cursor:
        started_at, run_id = _decode_cursor(cursor)
        query = query.where(
            tuple_(InventorySync.started_at, InventorySync.id) < tuple_(started_at, run_id)
        )
    query = query.order_by(InventorySync.started_at.desc(), InventorySync.id.desc()).limit(
        limit + 1
    )
    runs = list((await session.scalars(query)).all())
    if len(runs) <= limit:
        return runs, None
    last = runs[limit - 1]
    return runs[:limit], _encode_cursor(last.started_at, last.id)


def _encode_cursor(started_at: datetime, run_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{started_at.isoformat()}|{run_id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        started_at, run_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(started_at), uuid.UUID(run_id)
    except (ValueError, binascii.Error) as exc:
        raise InvalidInput("cursor is not one this endpoint gave out") from exc
