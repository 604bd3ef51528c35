"""Appending events: the unit_events row (audit trail) and the outbox row, in the caller's
transaction, numbered in commit order within the store."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.util import await_

from recon.db.models import Store
from recon.domain import pg
from recon.events import Actor, EventData, build_event


@dataclass(frozen=True, slots=True)
class Cause:
    """Who made a change, through what, and the text that caused it."""

    actor: Actor
    source: str
    service: str
    message_id: uuid.UUID | None = None
    # When the change happened; None means now. Set for back-dated history (demo data, imports).
    at: datetime | None = None

    def when(self) -> datetime:
        return self.at or datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class PendingEvent:
    data: EventData
    subject: uuid.UUID
    unit_id: uuid.UUID | None
    actor: Actor
    source: str
    message_id: uuid.UUID | None = None
    at: datetime | None = None


async def lock_store_events(session: AsyncSession, store_id: uuid.UUID) -> None:
    """Take the store's event-sequence lock before touching any unit.

    Every writer takes it first, so writers of one store queue here instead of deadlocking on
    units, and the store's events get their numbers in the order their transactions commit.
    A transaction that already holds it (a text, its change and its reply) does not ask again.
    """
    if store_id in _locks_held(session):
        return
    await session.execute(
        select(Store.id).where(Store.id == store_id).with_for_update(key_share=True)
    )
    note_store_locked(session, store_id)


def store_locked(session: AsyncSession, store_id: uuid.UUID) -> bool:
    """Does this transaction hold the store's event lock already?"""
    return store_id in _locks_held(session)


def note_store_locked(session: AsyncSession, store_id: uuid.UUID) -> None:
    """Record that this transaction holds the store's lock (taken by a query of the caller's
    own that locks the store row `FOR NO KEY UPDATE`)."""
    if session.in_nested_transaction():
        return  # a savepoint rolled back releases the locks taken inside it
    root = session.sync_session.get_transaction()
    if root is None:
        return
    held: tuple[object, set[uuid.UUID]] | None = session.info.get(_LOCKS_HELD)
    if held is None or held[0] is not root:
        held = session.info[_LOCKS_HELD] = (root, set())
    held[1].add(store_id)


_LOCKS_HELD = "recon_store_locks_held"


def _locks_held(session: AsyncSession) -> set[uuid.UUID]:
    """The stores whose lock the session's current transaction holds (row locks last until
    the transaction ends, so the set belongs to that transaction object)."""
    held: tuple[object, set[uuid.UUID]] | None = session.info.get(_LOCKS_HELD)
    if held is None or held[0] is not session.sync_session.get_transaction():
        return set()
    return held[1]


async def append_events(
    session: AsyncSession,
    *,
    store_id: uuid.UUID,
    service: str,
    events: Sequence[PendingEvent],
) -> None:
    """Number the events in the store's sequence and write each one's unit_events row and
    outbox row, in the caller's transaction (or, after `defer_events`, when it commits)."""
    if not events:
        return
    held = _deferred(session)
    if held is not None:
        # Stamped now: the time of the change, not of the commit.
        now = datetime.now(UTC)
        held.events.extend(
            (store_id, service, pending if pending.at else replace(pending, at=now))
            for pending in events
        )
        return
    await _write(await pg.driver(session), store_id, [(service, pending) for pending in events])


def defer_events(session: AsyncSession) -> None:
    """Write the events this transaction appends from now on when it commits, all at once.

    A unit of work that appends several sets of events (a text: `message.received`, its
    changes, its reply's `message.sent`) then numbers them with one UPDATE of the store and
    writes them with one INSERT, instead of one pair of statements per set. The events keep
    the order they were appended in, and are written just before the commit, under the store
    lock the writers hold anyway; a rollback drops them with everything else. Until then
    `stores.last_event_seq` does not count them, so a transaction that reads its own events
    back must not defer them.
    """
    root = session.sync_session.get_transaction()
    if root is None or session.in_nested_transaction():
        return
    held: _Deferred | None = session.info.get(_DEFERRED)
    if held is None or held.transaction is not root:
        session.info[_DEFERRED] = _Deferred(root)


@dataclass(frozen=True, slots=True)
class RowWrite:
    """A data-modifying statement (an INSERT or UPDATE) given as `sql(first)`, its text with
    its parameters numbered from `first`, and the values of those parameters."""

    sql: Callable[[int], str]
    args: tuple[Any, ...]


def queue_with_events(session: AsyncSession, *writes: RowWrite) -> bool:
    """Queue `writes` to run in the statement that writes this transaction's deferred events
    when it commits (one round trip for both; a text's reply is written so). Until then the
    rows are not in the database: only what the transaction writes last may be queued (an
    ORM object for a queued row must not be changed and flushed before the commit). False:
    the transaction does not defer its events, nothing was queued, the caller runs them."""
    held = _deferred(session)
    if held is None:
        return False
    held.writes.extend(writes)
    return True


_DEFERRED = "recon_deferred_events"


@dataclass(slots=True)
class _Deferred:
    """What `defer_events` holds back until its transaction commits."""

    transaction: object
    events: list[tuple[uuid.UUID, str, PendingEvent]] = field(default_factory=list)
    writes: list[RowWrite] = field(default_factory=list)


def _deferred(session: AsyncSession | Session) -> _Deferred | None:
    """What `defer_events` queued for the session's current transaction, if it deferred."""
    held: _Deferred | None = session.info.get(_DEFERRED)
    if held is None:
        return None
    sync = session if isinstance(session, Session) else session.sync_session
    if held.transaction is not sync.get_transaction() or sync.in_nested_transaction():
        return None
    return held


@event.listens_for(Session, "before_commit")
def _write_deferred(session: Session) -> None:
    held: _Deferred | None = session.info.get(_DEFERRED)
    # What was queued is written even when a savepoint is still open as the root commits
    # (a savepoint commits with it); `_deferred` queues nothing new inside one.
    if held is None or held.transaction is not session.get_transaction():
        return
    if not (held.events or held.writes):
        return
    session.info.pop(_DEFERRED, None)
    by_store: dict[uuid.UUID, list[tuple[str, PendingEvent]]] = {}
    for store_id, service, pending in held.events:
        by_store.setdefault(store_id, []).append((service, pending))
    # The hook runs inside SQLAlchemy's greenlet: await_ runs the write on the event loop.
    connection = pg.driver_of(session)
    writes = held.writes
    for store_id, items in by_store.items():
        await_(_write(connection, store_id, items, writes=writes))
        writes = []
    if writes:  # rows to write and no event: never the case for a text, kept correct anyway
        await_(_write_rows(connection, writes))


# Numbers the events in the store's sequence and inserts their unit_events and outbox rows:
# one statement, each table as `INSERT … SELECT FROM unnest(<one array per column>)`. A bulk
# change (an inventory feed of 10,000 cars) appends 10,000 events; one array per column is
# several times faster than multi-row VALUES. JSON travels as text. The envelope is built in
# Python without its number; the statement adds `seq` and the store's `slug` to it.
_EVENTS_QUERIES = """
numbered AS (
    UPDATE stores SET last_event_seq = last_event_seq + $2, updated_at = now()
    WHERE id = $1
    RETURNING last_event_seq - $2 AS base, slug
), events AS (
    SELECT f.*, numbered.base + f.n AS seq, numbered.slug
    FROM numbered,
         unnest($3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::uuid[],
                $9::text[], $10::uuid[], $11::text[], $12::timestamptz[], $13::text[])
         WITH ORDINALITY AS f(id, unit_id, type, source, actor_kind, actor_staff_id,
                              actor_name, message_id, data, created_at, envelope, n)
), logged AS (
    INSERT INTO unit_events (store_id, id, seq, unit_id, type, source, actor_kind,
                             actor_staff_id, actor_name, message_id, data, created_at)
    SELECT $1, id, seq, unit_id, type, source, actor_kind, actor_staff_id, actor_name,
           message_id, CAST(data AS jsonb), created_at
    FROM events
)
INSERT INTO outbox (store_id, event_id, subject, payload)
SELECT $1, id, 'recon.' || slug || '.' || type,
       CAST(envelope AS jsonb) || jsonb_build_object('store', slug, 'seq', seq)
FROM events
ORDER BY seq
"""


_EVENTS_SQL = "WITH " + _EVENTS_QUERIES
# How many parameters it takes: the RowWrites run beside it number theirs after these.
_EVENTS_PARAMETERS = max(int(n) for n in re.findall(r"\$(\d+)", _EVENTS_SQL))


def _events_sql(writes: Sequence[RowWrite]) -> str:
    """`_EVENTS_SQL`, with `writes` run beside it as data-modifying WITH queries."""
    first, queries = _EVENTS_PARAMETERS + 1, []
    for n, write in enumerate(writes):
        queries.append(f"w{n} AS ({write.sql(first)}),")
        first += len(write.args)
    return "WITH " + "\n".join(queries) + _EVENTS_QUERIES


async def _write_rows(connection: asyncpg.Connection[Any], writes: Sequence[RowWrite]) -> None:
    for write in writes:
        await connection.execute(write.sql(1), *write.args)


async def _write(
    connection: asyncpg.Connection[Any],
    store_id: uuid.UUID,
    items: list[tuple[str, PendingEvent]],
    *,
    writes: Sequence[RowWrite] = (),
) -> None:
    """Number the events and write their rows, and `writes` beside them, in one round trip
    (`_EVENTS_SQL`)."""
    columns: list[list[Any]] = [[] for _ in range(11)]
    for service, pending in items:
        # Numbered and given the store's slug by the statement.
        envelope = build_event(
            pending.data,
            store_slug="",
            seq=0,
            subject=pending.subject,
            service=service,
            at=pending.at,
        )
        values = (
            envelope.id,
            pending.unit_id,
            pending.data.event_type,
            pending.source,
            pending.actor.kind,
            pending.actor.staff_id,
            pending.actor.name,
            pending.message_id,
            json.dumps(envelope.data),
            envelope.time,
            envelope.model_dump_json(exclude={"store", "seq"}),
        )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    status = await connection.execute(
        _events_sql(writes),
        store_id,
        len(items),
        *columns,
        *(value for write in writes for value in write.args),
    )
    if status != f"INSERT 0 {len(items)}":
        raise LookupError(f"no store {store_id} to number events in")
