"""One client's live stream: replay from Postgres, then live from the hub, each event once,
in seq order, whatever the hub delivers late, twice or not at all."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sse_starlette import ServerSentEvent

from board_api.events.hub import StreamHub
from board_api.events.service import list_events
from recon.db.models import Store

REPLAY_PAGE = 500
RETRY_MS = 2000


async def event_stream(
    *,
    hub: StreamHub,
    sessions: async_sessionmaker[AsyncSession],
    store: Store,
    after: int | None,
) -> AsyncIterator[ServerSentEvent | bytes]:
    """SSE events (id = the store's event seq) after `after`, or from now when None."""
    # Subscribe before reading where we are, so nothing committed in between is missed.
    subscriber = hub.subscribe(store_id=store.id, slug=store.slug)
    try:
        if after is None:
            async with sessions() as session:
                after = await session.scalar(
                    select(Store.last_event_seq).where(Store.id == store.id)
                )
        last = after or 0
        yield ServerSentEvent(comment="connected", retry=RETRY_MS)
        async for event in _replay(sessions, store, after=last, up_to=None):
            yield event
            last = int(event.id or last)
        while True:
            # Whatever else is already queued goes out in the same write: one send through
            # the ASGI stack per wake-up, not one per event (a text makes three events).
            items = [await subscriber.queue.get()]
            while not subscriber.queue.empty():
                items.append(subscriber.queue.get_nowait())
            frames: list[bytes] = []
            for item in items:
                if item.seq <= last:
                    continue  # already sent (replayed, or delivered twice)
                if item.seq > last + 1:  # a gap: the events in between are in Postgres
                    if frames:
                        yield b"".join(frames)
                        frames = []
                    async for event in _replay(sessions, store, after=last, up_to=item.seq):
                        yield event
                        last = int(event.id or last)
                    if item.seq <= last:
                        continue
                frames.append(item.frame)  # encoded once by the hub for every stream
                last = item.seq
            if frames:
                yield b"".join(frames)
    finally:
        hub.unsubscribe(subscriber)


async def _replay(
    sessions: async_sessionmaker[AsyncSession], store: Store, *, after: int, up_to: int | None
) -> AsyncIterator[ServerSentEvent]:
    while True:
        async with sessions() as session:
            events = await list_events(
                session, store_id=store.id, after_seq=after, up_to_seq=up_to, limit=REPLAY_PAGE
            )
        for event in events:
            yield ServerSentEvent(data=event.model_dump_json(), id=str(event.seq))
        if len(events) < REPLAY_PAGE:
            return
        after = events[-1].seq
