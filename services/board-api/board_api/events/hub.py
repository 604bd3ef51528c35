"""The per-process fan-out of a store's events to its live streams.

Every copy of board-api subscribes to all events (an ephemeral ordered JetStream consumer, so
each copy sees each event). An event is only a wake-up: the hub reads the store's new
events from Postgres once per process, in seq order, and hands the same encoded SSE message to
every stream of that store. Streams dedupe by seq and fill any gap from Postgres themselves, so a
lost or reordered wake-up costs latency, never an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import asyncpg
from prometheus_client import Gauge
from sse_starlette import ServerSentEvent

from board_api.events.schemas import Event
from board_api.events.service import new_events
from recon.events import CloudEvent
from recon.messaging.consumers import subscribe_fanout
from recon.service.state import ServiceState

log = logging.getLogger(__name__)

STREAMS = Gauge("recon_board_streams", "Live event streams open in this process")

# Events a slow stream may have waiting before it drops some (and re-reads them from Postgres).
QUEUE_SIZE = 1000
# The most events the hub reads at once for a store it has fallen behind on.
MAX_CATCH_UP = 1000


@dataclass(frozen=True, slots=True)
class Rendered:
    """An event as every stream sends it: its SSE message, encoded once for all of them."""

    seq: int
    frame: bytes

    @classmethod
    def of(cls, event: Event) -> Rendered:
        message = ServerSentEvent(data=event.model_dump_json(), id=str(event.seq))
        return cls(seq=event.seq, frame=message.encode())


@dataclass(eq=False)
class Subscriber:
    store_id: uuid.UUID
    slug: str
    queue: asyncio.Queue[Rendered] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))


@dataclass
class StoreFeed:
    store_id: uuid.UUID
    subscribers: set[Subscriber] = field(default_factory=set)
    loaded_seq: int | None = None


class StreamHub:
    def __init__(self) -> None:
        self._feeds: dict[str, StoreFeed] = {}
        self._inbox: asyncio.Queue[CloudEvent] = asyncio.Queue()
        self._reads: asyncpg.Pool | None = None
        # Held between dispatches: a pool's acquire and release would cost a reset round
        # trip per dispatch. Dropped on any failure, so the next dispatch takes a fresh one.
        self._connection: asyncpg.pool.PoolConnectionProxy | None = None

    def subscribe(self, *, store_id: uuid.UUID, slug: str) -> Subscriber:
        subscriber = Subscriber(store_id=store_id, slug=slug)
        feed = self._feeds.setdefault(slug, StoreFeed(store_id=store_id))
        feed.subscribers.add(subscriber)
        STREAMS.inc()
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        feed = self._feeds.get(subscriber.slug)
        if feed is None or subscriber not in feed.subscribers:
            return
        feed.subscribers.discard(subscriber)
        STREAMS.dec()
        if not feed.subscribers:
            del self._feeds[subscriber.slug]

    async def run(self, state: ServiceState) -> None:
        """The app worker: subscribe to every event and dispatch until cancelled."""
        self._reads = state.reads
        unsubscribe = await subscribe_fanout(state.js, subject="recon.>", handler=self._receive)
        try:
            while True:
                batch = [await self._inbox.get()]
                while not self._inbox.empty():
                    batch.append(self._inbox.get_nowait())
                try:
                    await self._dispatch(batch)
                except Exception:  # Postgres away: streams catch up from the next event
                    log.exception("live stream dispatch failed")
                    await self._drop_connection()
        finally:
            await self._drop_connection()
            with contextlib.suppress(Exception):
                await unsubscribe()

    async def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and self._reads is not None:
            with contextlib.suppress(Exception):
                await self._reads.release(connection)

    async def _new_events(
        self, wanted: list[tuple[uuid.UUID, int, int]]
    ) -> dict[uuid.UUID, list[Event]]:
        """`new_events` on the connection this hub holds. Postgres may have closed it since
        the last batch (a restart, a terminated backend): then once more on a fresh one, so
        this batch still reaches the boards rather than waiting for the store's next event."""
        try:
            return await new_events(await self._held_connection(), wanted)
        except (asyncpg.InterfaceError, asyncpg.PostgresConnectionError, OSError):
            await self._drop_connection()
            return await new_events(await self._held_connection(), wanted)

    async def _held_connection(self) -> asyncpg.pool.PoolConnectionProxy:
        if self._connection is None:
            assert self._reads is not None
            self._connection = await self._reads.acquire()
        return self._connection

    async def _receive(self, event: CloudEvent) -> None:
        if event.store in self._feeds:
            self._inbox.put_nowait(event)

    async def _dispatch(self, batch: list[CloudEvent]) -> None:
        newest: dict[str, tuple[int, int]] = defaultdict(lambda: (1 << 62, 0))
        for event in batch:
            low, high = newest[event.store]
            newest[event.store] = (min(low, event.seq), max(high, event.seq))
        wanted: dict[str, tuple[uuid.UUID, int, int]] = {}
        for slug, (low, high) in newest.items():
            feed = self._feeds.get(slug)
            if feed is None or (feed.loaded_seq is not None and high <= feed.loaded_seq):
                continue
            after = low - 1
            if feed.loaded_seq is not None and high - feed.loaded_seq <= MAX_CATCH_UP:
                after = feed.loaded_seq
            wanted[slug] = (feed.store_id, after, high)
        if not wanted:
            return
        # One round trip for every store of the batch.
        found = await self._new_events(list(wanted.values()))
        for slug, (store_id, _, high) in wanted.items():
            feed = self._feeds.get(slug)
            if feed is None:
                continue
            feed.loaded_seq = max(high, feed.loaded_seq or 0)
            rendered = [Rendered.of(event) for event in found.get(store_id, ())]
            for subscriber in list(feed.subscribers):
                for item in rendered:
                    with contextlib.suppress(asyncio.QueueFull):
                        subscriber.queue.put_nowait(item)
