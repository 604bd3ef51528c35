"""The board list's JSON: each page rendered once per store event seq, kept in this process.

Every change a unit list shows (the unit, its work items, notes, we-owe items, acks, photos)
is committed together with at least one event of its store, and every event bumps
`stores.last_event_seq` in the same transaction. So a page rendered after reading seq N is
exact for every request that reads seq N (or less) from the store row, and a request that
reads N+1 finds nothing cached and reads Postgres again: a committed change shows up on the
very next read, in this copy of board-api or any other.

What is cached is each unit's record as JSON; the clocks (`days_in_*`, `overdue`) and the
store's stage targets are added per request, so they are as fresh as without the cache.
"""

from __future__ import annotations

import asyncio
import functools
import json
import uuid
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from board_api.units import service
from recon.db.models import Store, Unit

# The most memory the cached pages of this process may hold (a 500-unit page is ~0.5 MB).
MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ListedUnit:
    record_json: bytes  # the unit's record as JSON without its closing brace: clocks follow
    stage: str
    stage_entered_at: datetime
    received_at: datetime

    @classmethod
    def of(cls, unit: Unit, store: Store) -> ListedUnit:
        record = service.unit_record(unit, store).model_dump_json().encode()
        return cls(
            record_json=record[:-1],
            stage=unit.stage,
            stage_entered_at=unit.stage_entered_at,
            received_at=unit.received_at,
        )

    def json(self, store: Store, at: datetime) -> bytes:
        """The unit's JSON as `schemas.Unit` has it, with its clocks at `at`."""
        clocks = service.clocks(
            store,
            stage=self.stage,
            stage_entered_at=self.stage_entered_at,
            received_at=self.received_at,
            at=at,
        )
        target = "null" if clocks.stage_target_hours is None else repr(clocks.stage_target_hours)
        return b"%s,%s}" % (
            self.record_json,
            (
                f'"days_in_recon":{clocks.days_in_recon!r},'
                f'"days_in_stage":{clocks.days_in_stage!r},'
                f'"stage_target_hours":{target},'
                f'"overdue":{"true" if clocks.overdue else "false"}'
            ).encode(),
        )


class ListedPage:
    """A page's units as read at `seq`, and its latest rendering (clocks and all)."""

    __slots__ = ("_rendered", "next_cursor", "seq", "units")

    def __init__(self, seq: int, units: tuple[ListedUnit, ...], next_cursor: str | None) -> None:
        self.seq = seq  # the store's last_event_seq, read before the units were
        self.units = units
        self.next_cursor = next_cursor
        self._rendered: tuple[Hashable, bytes] | None = None

    @property
    def size(self) -> int:
        """Roughly the bytes it holds."""
        return sum(2 * len(unit.record_json) + 200 for unit in self.units)

    def json(self, store: Store, at: datetime) -> bytes:
        """The page as `Page[schemas.Unit]` has it. A rendering is reused within the second
        for the same stage targets: the clocks count in thousandths of a day (86 s), so a
        busy board renders its page once a second rather than on every request."""
        key = (int(at.timestamp()), tuple(sorted((store.stage_targets_hours or {}).items())))
        if self._rendered is not None and self._rendered[0] == key:
            return self._rendered[1]
        items = b",".join(unit.json(store, at) for unit in self.units)
        body = b'{"items":[%s],"next_cursor":%s}' % (items, json.dumps(self.next_cursor).encode())
        self._rendered = (key, body)
        return body


class PageCache:
    """Pages by store and query, each good for the store's event seq it was rendered at;
    least recently used first out past `max_bytes`."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._pages: OrderedDict[tuple[uuid.UUID, Hashable], ListedPage] = OrderedDict()
        self._bytes = 0
        self._reading: dict[tuple[uuid.UUID, Hashable], tuple[int, asyncio.Task[ListedPage]]] = {}

    async def load(
        self,
        store_id: uuid.UUID,
        query: Hashable,
        *,
        seq: int,
        read: Callable[[], Coroutine[Any, Any, ListedPage]],
    ) -> ListedPage:
        """The page at `seq` or later: cached, being read already for a seq at least as new
        (the fifty boards that ask right after a change read Postgres once, not fifty times),
        or read now by `read`."""
        key = (store_id, query)
        page = self.get(store_id, query, seq=seq)
        if page is not None:
            return page
        reading = self._reading.get(key)
        if reading is None or reading[0] < seq:
            reading = (seq, asyncio.create_task(read()))
            self._reading[key] = reading
            reading[1].add_done_callback(functools.partial(self._read, key, reading))
        # Shielded: a client that hangs up cancels its wait, not the others' read.
        return await asyncio.shield(reading[1])

    def _read(
        self,
        key: tuple[uuid.UUID, Hashable],
        reading: tuple[int, asyncio.Task[ListedPage]],
        task: asyncio.Task[ListedPage],
    ) -> None:
        if self._reading.get(key) is reading:
            del self._reading[key]
        if not task.cancelled() and task.exception() is None:
            self.put(*key, task.result())

    def get(self, store_id: uuid.UUID, query: Hashable, *, seq: int) -> ListedPage | None:
        """The page if nothing changed in the store since `seq` was read. A page rendered at
        a later seq is as good: it was read after this request began."""
        page = self._pages.get((store_id, query))
        if page is None or page.seq < seq:
            return None
        self._pages.move_to_end((store_id, query))
        return page

    def put(self, store_id: uuid.UUID, query: Hashable, page: ListedPage) -> None:
        key = (store_id, query)
        old = self._pages.get(key)
        if old is not None:
            if old.seq > page.seq:
                return  # a slower request read an older seq: keep the newer page
            self._bytes -= old.size
        self._pages[key] = page
        self._pages.move_to_end(key)
        self._bytes += page.size
        while self._bytes > self.max_bytes and self._pages:
            _, evicted = self._pages.popitem(last=False)
            self._bytes -= evicted.size


PAGES = PageCache()
"""This process's pages (each copy of board-api has its own; the seq keeps every copy exact)."""


@dataclass(frozen=True, slots=True)
class UnitQuery:
    """What a `GET …/units` asks for, its parameters parsed and checked."""

    filters: service.UnitFilters
    limit: int
    cursor: str | None


class KnownQueries:
    """Query strings the list route has parsed and answered, and what each asked for; the
    most recently used kept. The same string always parses the same way, whoever sends it
    for whichever store: a repeated board read need not be parsed again (see `fast_path`)."""

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._queries: OrderedDict[bytes, UnitQuery] = OrderedDict()

    def get(self, query_string: bytes) -> UnitQuery | None:
        query = self._queries.get(query_string)
        if query is not None:
            self._queries.move_to_end(query_string)
        return query

    def add(self, query_string: bytes, query: UnitQuery) -> None:
        self._queries[query_string] = query
        self._queries.move_to_end(query_string)
        if len(self._queries) > self.max_entries:
            self._queries.popitem(last=False)


KNOWN_QUERIES = KnownQueries()


async def list_json(
    sessions: async_sessionmaker[AsyncSession], *, store: Store, query: UnitQuery, at: datetime
) -> bytes:
    """`GET …/units` as JSON. `store` must have been read in this request: its
    last_event_seq then covers every change committed before the request began. Postgres is
    read (in a session of its own) only when the page is not cached at that seq."""
    # Which units are overdue depends on the time, not only on the seq.
    cacheable = query.filters.overdue is None
    seq = store.last_event_seq

    async def read() -> ListedPage:
        async with sessions() as session:
            rows, next_cursor = await service.list_units(
                session,
                store=store,
                filters=query.filters,
                limit=query.limit,
                cursor=query.cursor,
                at=at,
            )
        units = tuple(ListedUnit.of(unit, store) for unit in rows)
        return ListedPage(seq=seq, units=units, next_cursor=next_cursor)

    if cacheable:
        page = await PAGES.load(store.id, query, seq=seq, read=read)
    else:
        page = await read()
    return page.json(store, at)
