"""Reading the store's event log (unit_events, numbered per store in commit order)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from board_api.events import schemas
from recon.db.models import Message, UnitEvent
from recon.domain.errors import InvalidInput, NotFound

# Event seqs are Postgres bigints: a larger number can name no event.
MAX_SEQ = 2**63 - 1

_WITH_TEXT = select(UnitEvent, Message.body).outerjoin(Message, Message.id == UnitEvent.message_id)


def event_out(event: UnitEvent, text: str | None) -> schemas.Event:
    data: dict[str, Any] = event.data or {}
    return schemas.Event(
        id=event.id,
        seq=event.seq,
        type=event.type,
        time=event.created_at,
        unit_id=event.unit_id,
        stock_number=data.get("stock_number"),
        message_id=event.message_id,
        source=event.source,
        actor=schemas.EventActor(
            kind=event.actor_kind,
            staff_id=event.actor_staff_id,
            name=event.actor_name,
        ),
        who=event.actor_name or event.actor_kind,
        text=text,
        data=data,
    )


async def list_events(
    session: AsyncSession,
    *,
    store_id: uuid.UUID,
    after_seq: int = 0,
    up_to_seq: int | None = None,
    unit_id: uuid.UUID | None = None,
    limit: int | None = None,
) -> list[schemas.Event]:
    """The store's events after `after_seq` (and up to `up_to_seq`), oldest first."""
    query = _WITH_TEXT.where(UnitEvent.store_id == store_id, UnitEvent.seq > after_seq).order_by(
        UnitEvent.seq
    )
    if up_to_seq is not None:
        query = query.where(UnitEvent.seq <= up_to_seq)
    if unit_id is not None:
        query = query.where(UnitEvent.unit_id == unit_id)
    if limit is not None:
        query = query.limit(limit)
    rows: Sequence[Any] = (await session.execute(query)).all()
    return [event_out(event, text) for event, text in rows]


# The live streams' reads, straight through asyncpg (no ORM, no transaction, no pre-ping),
# with the columns `event_out` reads. One store's range (the usual wake-up) is a plain index
# range scan; several stores' ranges go in one round trip through `unnest`, which costs
# Postgres and asyncpg several times more per statement than the plain form.
_COLUMNS = """
SELECT e.store_id, e.id, e.seq, e.type, e.created_at, e.unit_id, e.message_id, e.source,
       e.actor_kind, e.actor_staff_id, e.actor_name, e.data, m.body
"""
_ONE_STORE_SQL = (
    _COLUMNS
    + """
FROM unit_events e LEFT JOIN messages m ON m.id = e.message_id
WHERE e.store_id = $1 AND e.seq > $2 AND e.seq <= $3
ORDER BY e.seq
"""
)
_STORES_SQL = (
    _COLUMNS
    + """
FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) AS w(store_id, after_seq, up_to_seq)
JOIN unit_events e ON e.store_id = w.store_id AND e.seq > w.after_seq AND e.seq <= w.up_to_seq
LEFT JOIN messages m ON m.id = e.message_id
ORDER BY e.store_id, e.seq
"""
)


async def new_events(
    connection: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy,
    ranges: Sequence[tuple[uuid.UUID, int, int]],
) -> dict[uuid.UUID, list[schemas.Event]]:
    """Each store's events in (after_seq, up_to_seq], oldest first, keyed by store id."""
    if len(ranges) == 1:
        rows = await connection.fetch(_ONE_STORE_SQL, *ranges[0])
    else:
        store_ids, afters, up_tos = zip(*ranges, strict=True) if ranges else ((), (), ())
        rows = await connection.fetch(_STORES_SQL, list(store_ids), list(afters), list(up_tos))
    found: dict[uuid.UUID, list[schemas.Event]] = {}
    for row in rows:
        found.setdefault(row["store_id"], []).append(_event_of_row(row))
    return found


def _event_of_row(row: asyncpg.Record) -> schemas.Event:
    data: dict[str, Any] = row["data"] or {}
    return schemas.Event(
        id=row["id"],
        seq=row["seq"],
        type=row["type"],
        time=row["created_at"],
        unit_id=row["unit_id"],
        stock_number=data.get("stock_number"),
        message_id=row["message_id"],
        source=row["source"],
        actor=schemas.EventActor(
            kind=row["actor_kind"], staff_id=row["actor_staff_id"], name=row["actor_name"]
        ),
        who=row["actor_name"] or row["actor_kind"],
        text=row["body"],
        data=data,
    )


async def unit_timeline(
    session: AsyncSession, *, store_id: uuid.UUID, unit_id: uuid.UUID
) -> list[schemas.Event]:
    return await list_events(session, store_id=store_id, unit_id=unit_id)


def parse_seq(value: str, *, what: str) -> int:
    """A seq given as text (`after`, `Last-Event-ID`): 0 to MAX_SEQ, ASCII digits only."""
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_SEQ:
        raise InvalidInput(f"{what} must be an event seq (a whole number from 0 to {MAX_SEQ})")
    return int(value)


async def seq_after(session: AsyncSession, *, store_id: uuid.UUID, after: str | None) -> int:
    """`after` as a sequence number: a seq itself, or the id of an event of this store."""
    if after is None or after == "":
        return 0
    if after.isascii() and after.isdigit():
        return parse_seq(after, what="after")
    try:
        event_id = uuid.UUID(after)
    except ValueError as exc:
        raise InvalidInput(f"after must be an event seq or event id, not {after!r}") from exc
    seq = await session.scalar(
        select(UnitEvent.seq).where(UnitEvent.store_id == store_id, UnitEvent.id == event_id)
    )
    if seq is None:
        raise NotFound(f"no event {event_id} in this store")
    return seq
