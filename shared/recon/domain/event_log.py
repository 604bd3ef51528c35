"""Appending events: the unit_events row (audit trail) and the outbox row, in the caller's
transaction, numbered in commit order within the store."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, TextClause, event, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from recon.db.models import Outbox, Store, UnitEvent
from recon.events import Actor, EventData, build_event, subject_for


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
    queued = _deferred(session)
    if queued is not None:
        # Stamped now: the time of the change, not of the commit.
        now = datetime.now(UTC)
        queued.extend(
            (store_id, service, pending if pending.at else replace(pending, at=now))
            for pending in events
        )
        return
    await session.run_sync(_write, store_id, [(service, pending) for pending in events])


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
    held: tuple[object, list[tuple[uuid.UUID, str, PendingEvent]]] | None = session.info.get(
        _DEFERRED
    )
    if held is None or held[0] is not root:
        session.info[_DEFERRED] = (root, [])


_DEFERRED = "recon_deferred_events"


def _deferred(session: AsyncSession | Session) -> list[tuple[uuid.UUID, str, PendingEvent]] | None:
    """The events queued by `defer_events` for the session's current transaction, if any."""
    held: tuple[object, list[tuple[uuid.UUID, str, PendingEvent]]] | None = session.info.get(
        _DEFERRED
    )
    if held is None:
        return None
    sync = session if isinstance(session, Session) else session.sync_session
    if held[0] is not sync.get_transaction() or sync.in_nested_transaction():
        return None
    return held[1]


@event.listens_for(Session, "before_commit")
def _write_deferred(session: Session) -> None:
    queued = _deferred(session)
    if not queued:
        return
    session.info.pop(_DEFERRED, None)
    by_store: dict[uuid.UUID, list[tuple[str, PendingEvent]]] = {}
    for store_id, service, pending in queued:
        by_store.setdefault(store_id, []).append((service, pending))
    for store_id, items in by_store.items():
        _write(session, store_id, items)


def _write(session: Session, store_id: uuid.UUID, items: list[tuple[str, PendingEvent]]) -> None:
    """Number the events (one UPDATE of the store's sequence) and insert their rows (one
    statement). Sync, so that both the async append and the commit hook run it."""
    # On the table, not the ORM entity: a Core UPDATE skips the ORM's bulk-update machinery.
    stores: Table = Store.__table__  # type: ignore[assignment]
    numbered = session.execute(
        update(stores)
        .where(stores.c.id == store_id)
        .values(last_event_seq=stores.c.last_event_seq + len(items))
        .returning(stores.c.last_event_seq, stores.c.slug)
    )
    last_seq, slug = numbered.one()
    first_seq = last_seq - len(items) + 1
    log_rows: list[dict[str, object]] = []
    outbox_rows: list[dict[str, object]] = []
    for offset, (service, pending) in enumerate(items):
        envelope = build_event(
            pending.data,
            store_slug=slug,
            seq=first_seq + offset,
            subject=pending.subject,
            service=service,
            at=pending.at,
        )
        log_rows.append(
            {
                "id": envelope.id,
                "store_id": store_id,
                "seq": envelope.seq,
                "unit_id": pending.unit_id,
                "type": pending.data.event_type,
                "source": pending.source,
                "actor_kind": pending.actor.kind,
                "actor_staff_id": pending.actor.staff_id,
                "actor_name": pending.actor.name,
                "message_id": pending.message_id,
                "data": envelope.data,
                "created_at": envelope.time,
            }
        )
        outbox_rows.append(
            {
                "store_id": store_id,
                "event_id": envelope.id,
                "subject": subject_for(slug, pending.data.event_type),
                "payload": envelope.model_dump(mode="json"),
            }
        )
    _insert_events(session, log_rows, outbox_rows, store_id=store_id)


def _insert_events(
    session: Session,
    log_rows: list[dict[str, object]],
    outbox_rows: list[dict[str, object]],
    *,
    store_id: uuid.UUID,
) -> None:
    """Insert the unit_events rows and the outbox rows in one statement, each table as one
    `INSERT … SELECT FROM unnest(<one array per column>)`.

    A bulk change (an inventory feed of 10,000 cars) appends 10,000 events; one statement with
    one array per column is several times faster than multi-row VALUES batches. JSONB values
    travel as JSON text. The statement is built once per shape of rows (a text applies three
    sets of events, so building it each time showed in its profile).
    """
    log_columns = tuple(name for name in log_rows[0] if name != "store_id")
    outbox_columns = tuple(name for name in outbox_rows[0] if name != "store_id")
    statement, json_columns = _events_statement(log_columns, outbox_columns)
    params: dict[str, object] = {"store_id": store_id}
    for prefix, columns, rows in (("l", log_columns, log_rows), ("o", outbox_columns, outbox_rows)):
        for position, name in enumerate(columns):
            values = [row[name] for row in rows]
            is_json = (prefix, name) in json_columns
            params[f"{prefix}{position}"] = [json.dumps(v) for v in values] if is_json else values
    session.execute(statement, params)


@functools.cache
def _events_statement(
    log_columns: tuple[str, ...], outbox_columns: tuple[str, ...]
) -> tuple[TextClause, frozenset[tuple[str, str]]]:
    """`WITH logged AS (INSERT INTO unit_events …) INSERT INTO outbox …`, and which of its
    parameters are JSON columns."""
    log_sql, log_json = _unnest_insert(UnitEvent.__table__, log_columns, prefix="l")
    outbox_sql, outbox_json = _unnest_insert(Outbox.__table__, outbox_columns, prefix="o")
    json_columns = frozenset({("l", name) for name in log_json} | {("o", n) for n in outbox_json})
    return text(f"WITH logged AS ({log_sql}) {outbox_sql}"), json_columns


def _unnest_insert(table: Any, columns: tuple[str, ...], *, prefix: str) -> tuple[str, set[str]]:
    arrays = []
    selected = []
    json_columns = set()
    dialect = postgresql.dialect()
    for position, name in enumerate(columns):
        column = table.c[name]
        is_json = isinstance(column.type, JSONB)
        sql_type = "text" if is_json else column.type.compile(dialect=dialect)
        arrays.append(f"CAST(:{prefix}{position} AS {sql_type}[])")
        selected.append(f"CAST(f.{name} AS jsonb)" if is_json else f"f.{name}")
        if is_json:
            json_columns.add(name)
    sql = (
        f"INSERT INTO {table.name} (store_id, {', '.join(columns)}) "
        f"SELECT :store_id, {', '.join(selected)} "
        f"FROM unnest({', '.join(arrays)}) AS f({', '.join(columns)})"
    )
    return sql, json_columns
