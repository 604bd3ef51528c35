"""Texts in and out: every one is stored as a message and announced as an event."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from recon.db.models import Message
from recon.domain import pg
from recon.domain.event_log import (
    PendingEvent,
    RowWrite,
    append_events,
    lock_store_events,
    note_store_locked,
    queue_with_events,
    store_locked,
)
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
    await _announce_inbound(session, message, staff_name=staff_name, service=service)
    return message


@dataclass(frozen=True, slots=True)
class NewInbound:
    """A text to store with a statement that finds its store and sender itself (ingest-sms
    stores each text in the statement that reads its sender and takes the store's lock):
    `sql` is `record_inbound`'s INSERT as a data-modifying WITH query, `args` its values,
    and `recorded` what `record_inbound` does once the row is in."""

    from_number: str
    body: str
    provider_sid: str | None
    media_urls: Sequence[str]
    at: datetime
    status: str = "received"
    id: uuid.UUID = field(default_factory=uuid.uuid4)

    @staticmethod
    def sql(first: int, *, sender: str) -> str:
        """The INSERT, its parameters (`args`) numbered from `first`; `sender` is a FROM item
        with the row's `store_id`, `to_number` and `staff_id`. A provider SID stored already
        for the store inserts nothing. RETURNING id."""
        n = first
        return (
            "INSERT INTO messages (id, store_id, direction, from_number, to_number, body, "
            "status, staff_id, provider_sid, media_urls, created_at, updated_at) "
            f"SELECT ${n}, store_id, 'inbound', ${n + 1}, to_number, ${n + 2}, ${n + 3}, "
            f"staff_id, ${n + 4}, ${n + 5}, ${n + 6}, ${n + 6} FROM {sender}"
            f"{_UNIQUE_SID} RETURNING id"
        )

    def args(self) -> tuple[Any, ...]:
        media = json.dumps(list(self.media_urls))
        return (
            self.id,
            self.from_number,
            self.body,
            self.status,
            self.provider_sid,
            media,
            self.at,
        )

    async def recorded(
        self,
        session: AsyncSession,
        *,
        store_id: uuid.UUID,
        to_number: str,
        staff_id: uuid.UUID | None,
        staff_name: str | None,
        service: str,
    ) -> Message:
        """The stored text, in the session, with its `message.received` event (the statement
        that stored it took the store's lock)."""
        note_store_locked(session, store_id)
        row = _row(
            {
                "id": self.id,
                "store_id": store_id,
                "direction": "inbound",
                "from_number": self.from_number,
                "to_number": to_number,
                "body": self.body,
                "status": self.status,
                "staff_id": staff_id,
                "provider_sid": self.provider_sid,
                "media_urls": list(self.media_urls),
                "created_at": self.at,
                "updated_at": self.at,
            }
        )
        message = _loaded(session, row)
        await _announce_inbound(session, message, staff_name=staff_name, service=service)
        return message


async def _announce_inbound(
    session: AsyncSession, message: Message, *, staff_name: str | None, service: str
) -> None:
    staff_id = message.staff_id
    actor = Actor(kind="staff", staff_id=staff_id, name=staff_name) if staff_id else SYSTEM
    data = ev.MessageReceived(
        message_id=message.id,
        from_=message.from_number,
        to=message.to_number,
        staff_id=staff_id,
        body=message.body,
        media_urls=list(message.media_urls),
    )
    await _announce(session, message, data, actor, service)


@dataclass(frozen=True, slots=True)
class Settled:
    """What an inbound text came to: its status, the units it named, how it was understood."""

    message: Message
    status: str
    unit_ids: list[uuid.UUID]
    interpretation: dict[str, Any]


async def settle_inbound(session: AsyncSession, settled: Settled) -> None:
    """Record what an inbound text came to: one plain UPDATE (the ORM's flush of the same
    change at commit cost several times more), the loaded message kept in step."""
    connection = await pg.driver(session)
    await connection.execute(_SETTLE_SQL, *_settle_values(settled))
    _settled(settled)


def _settle_values(settled: Settled) -> tuple[Any, ...]:
    return (
        settled.message.id,
        settled.status,
        settled.unit_ids,
        json.dumps(settled.interpretation),
    )


def _settled(settled: Settled) -> None:
    for name, value in (
        ("status", settled.status),
        ("unit_ids", settled.unit_ids),
        ("interpretation", settled.interpretation),
    ):
        set_committed_value(settled.message, name, value)


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
    settles: Settled | None = None,
) -> Message:
    """Store a text going out, with its `message.sent` event. `settles`: also record, in the
    same statement, what the text this one answers came to."""
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
        settles=settles,
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


_COLUMNS = (
    "id",
    "store_id",
    "direction",
    "from_number",
    "to_number",
    "body",
    "status",
    "kind",
    "staff_id",
    "provider_sid",
    "error_code",
    "media_urls",
    "interpretation",
    "reply_to_id",
    "unit_ids",
    "created_at",
    "updated_at",
)
_JSON_COLUMNS = frozenset({"media_urls", "interpretation"})
# The plain INSERT of a message, its parameters (`_COLUMNS`) numbered from `first`.
_insert_sql = functools.partial(pg.insert_sql, "messages", _COLUMNS)
_INSERT_SQL = _insert_sql(1)
# The store's event lock taken by the same statement, before the row is inserted (what
# lock_store_events does first, in one round trip less).
_LOCK_AND_INSERT_SQL = (
    "WITH locked AS (SELECT id FROM stores WHERE id = $2 FOR NO KEY UPDATE) "
    f"INSERT INTO messages ({', '.join(_COLUMNS)}) "
    f"SELECT {pg.parameters(1, len(_COLUMNS))} FROM locked"
)
# A provider retrying a text it already delivered (same MessageSid) stores nothing.
_UNIQUE_SID = " ON CONFLICT (store_id, provider_sid) WHERE direction = 'inbound' DO NOTHING"


def _settle_sql(first: int) -> str:
    """The UPDATE of `settle_inbound`, its parameters ($id, $status, $unit_ids,
    $interpretation) numbered from `first`."""
    n = first
    return (
        f"UPDATE messages SET status = ${n + 1}, unit_ids = ${n + 2}, "
        f"interpretation = ${n + 3}, updated_at = now() WHERE id = ${n}"
    )


_SETTLE_SQL = _settle_sql(1)
# A reply stored together with what the text it answers came to: one round trip.
_SETTLE_AND_INSERT_SQL = f"WITH settled AS ({_settle_sql(len(_COLUMNS) + 1)}) {_INSERT_SQL}"


async def _insert(
    session: AsyncSession,
    values: dict[str, Any],
    *,
    unique_sid: bool = False,
    settles: Settled | None = None,
) -> Message | None:
    """One plain INSERT (through the ORM it cost several times the statement itself) that
    also takes the store's event lock when the transaction does not hold it yet, or records
    what the text it answers came to (`settles`; the lock is held by then; when the
    transaction defers its events, both are written with them, at commit). The Message
    returned is in the session like a loaded one, every column set, so changes to it are
    flushed as an UPDATE (not so for a reply written at commit: it must not be changed).
    None: `unique_sid` and this provider SID is stored already."""
    row = _row(values)
    store_id: uuid.UUID = row["store_id"]
    lock = not store_locked(session, store_id)
    if settles is not None and lock:
        # A reply's text took the lock when it was stored; without it, two statements.
        await settle_inbound(session, settles)
        settles = None
    columns = tuple(
        json.dumps(row[name]) if name in _JSON_COLUMNS and row[name] is not None else row[name]
        for name in _COLUMNS
    )
    if settles is not None and queue_with_events(
        session, RowWrite(_settle_sql, _settle_values(settles)), RowWrite(_insert_sql, columns)
    ):
        # A text's reply, which its transaction writes last (the callers' order, nothing
        # enforces it): with the text's events, at commit.
        _settled(settles)
        return _loaded(session, row)
    statement = (
        _SETTLE_AND_INSERT_SQL
        if settles is not None
        else (_LOCK_AND_INSERT_SQL if lock else _INSERT_SQL)
    ) + (_UNIQUE_SID if unique_sid else "")
    connection = await pg.driver(session)
    status = await connection.execute(
        statement, *columns, *(_settle_values(settles) if settles is not None else ())
    )
    if settles is not None:
        _settled(settles)
    if lock:
        note_store_locked(session, store_id)
    if status.endswith(" 0"):
        if not unique_sid:
            raise LookupError(f"no store {store_id}")
        return None
    return _loaded(session, row)


def _row(values: dict[str, Any]) -> dict[str, Any]:
    """A message's every column: `values`, and the defaults for those not given."""
    # The clock, not the transaction's start: a text and its reply written together must
    # still list in the order they happened.
    at = datetime.now(UTC)
    return {
        "id": uuid.uuid4(),
        "kind": None,
        "staff_id": None,
        "provider_sid": None,
        "error_code": None,
        "media_urls": [],
        "interpretation": None,
        "reply_to_id": None,
        "unit_ids": [],
        "created_at": at,
        "updated_at": at,
        **values,
    }


def _loaded(session: AsyncSession, row: dict[str, Any]) -> Message:
    """The message of `row`, in the session like one loaded from it."""
    message = Message(**row)
    make_transient_to_detached(message)
    session.add(message)
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
