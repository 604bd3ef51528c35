"""The live stream: events committed anywhere reach every copy's clients, in seq order, and a
client that reconnects with Last-Event-ID misses nothing and sees nothing twice."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from board_api.events.hub import Rendered, StreamHub
from board_api.events.service import list_events, new_events
from board_api.events.stream import event_stream
from board_api.main import create_app
from recon.db.session import create_read_pool
from recon.settings import Settings
from tests.board_api.helpers import ADMIN, ApiStore, SseReader, live_server, new_store, store_row
from tests.factories import make_store, make_unit


@pytest.fixture(scope="module")
async def copies(settings: Settings) -> AsyncIterator[tuple[str, str]]:
    """Two copies of board-api, as behind a load balancer."""
    async with (
        live_server(create_app(settings)) as first,
        live_server(create_app(settings)) as second,
    ):
        yield first, second


@contextlib.asynccontextmanager
async def streaming(base_url: str, store: ApiStore, **headers: str) -> AsyncIterator[SseReader]:
    params: dict[str, str] = {"board_token": store.board_token}
    if "after" in headers:
        params["after"] = headers.pop("after")
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
        client.stream("GET", f"{store.url}/stream", params=params, headers=headers) as response,
    ):
        reader = SseReader(response)
        await reader.connected()
        yield reader


async def test_an_event_committed_elsewhere_reaches_clients_of_every_copy(
    copies: tuple[str, str], sessions: async_sessionmaker[AsyncSession]
) -> None:
    first, second = copies
    async with httpx.AsyncClient(base_url=first) as api:
        store = await new_store(api)
        async with streaming(first, store) as on_first, streaming(second, store) as on_second:
            # Committed by another session (as inventory-sync or ingest-sms would) ...
            unit = await make_unit(sessions, await store_row(sessions, store), stock_number="L1")
            # ... and through the API of one copy.
            moved = await api.post(
                f"{store.url}/units/L1/move", json={"stage": "detail"}, headers=ADMIN
            )
            assert moved.status_code == 200
            for reader in (on_first, on_second):
                created, changed = await reader.take(2)
                assert created.data["type"] == "unit.created"
                assert created.data["unit_id"] == str(unit.id)
                assert changed.data["type"] == "unit.stage_changed"
                assert changed.data["data"]["to_stage"] == "detail"
                assert changed.data["who"] == "admin"
                assert int(changed.id or 0) == int(created.id or 0) + 1 == changed.data["seq"]


async def test_resume_with_last_event_id_misses_nothing_and_repeats_nothing(
    copies: tuple[str, str], sessions: async_sessionmaker[AsyncSession]
) -> None:
    first, second = copies
    async with httpx.AsyncClient(base_url=first) as api:
        store = await new_store(api)
        row = await store_row(sessions, store)
        async with streaming(first, store) as reader:
            await make_unit(sessions, row, stock_number="R1")
            (seen,) = await reader.take(1)
        # Disconnected: these happen while the client is away.
        for body in ("one", "two", "three"):
            noted = await api.post(
                f"{store.url}/units/R1/notes", json={"body": body}, headers=ADMIN
            )
            assert noted.status_code == 200
        # It comes back to the other copy, as after a load balancer switch.
        async with streaming(second, store, **{"Last-Event-ID": str(seen.id)}) as resumed:
            missed = await resumed.take(3)
            assert [e.data["data"]["body"] for e in missed] == ["one", "two", "three"]
            assert [int(e.id or 0) for e in missed] == [int(seen.id or 0) + n for n in (1, 2, 3)]
            await api.post(f"{store.url}/units/R1/notes", json={"body": "four"}, headers=ADMIN)
            (after,) = await resumed.take(1)
            assert after.data["data"]["body"] == "four"
            assert int(after.id or 0) == int(missed[-1].id or 0) + 1
        async with streaming(first, store, after="0") as replay:
            everything = await replay.take(5)
            assert [e.data["type"] for e in everything] == ["unit.created"] + ["note.added"] * 4


async def test_a_stream_skips_repeats_and_fills_gaps_from_postgres(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = await make_store(sessions)
    for n in range(3):
        await make_unit(sessions, store, stock_number=f"G{n}")  # events 1, 2, 3
    hub = StreamHub()
    stream = event_stream(hub=hub, sessions=sessions, store=store, after=1)
    assert (await anext(stream)).comment == "connected"
    assert [(await anext(stream)).id for _ in range(2)] == ["2", "3"]

    (subscriber,) = hub._feeds[store.slug].subscribers
    await make_unit(sessions, store, stock_number="G3")  # 4: its wake-up is lost
    await make_unit(sessions, store, stock_number="G4")  # 5
    subscriber.queue.put_nowait(Rendered(seq=3, frame=b""))  # a repeat
    subscriber.queue.put_nowait(Rendered(seq=5, frame=b""))  # after a gap
    filled = [await anext(stream) for _ in range(2)]
    assert [e.id for e in filled] == ["4", "5"]
    assert "G3" in str(filled[0].data) and "G4" in str(filled[1].data)

    await make_unit(sessions, store, stock_number="G5")  # 6
    subscriber.queue.put_nowait(Rendered(seq=5, frame=b""))  # late duplicate
    live = Rendered(seq=6, frame=b'id: 6\r\ndata: {"live": true}\r\n\r\n')
    subscriber.queue.put_nowait(live)
    assert await anext(stream) == live.frame  # the hub's bytes, as they are

    # What is queued together goes out in one write.
    subscriber.queue.put_nowait(Rendered(seq=7, frame=b"id: 7\r\n\r\n"))
    subscriber.queue.put_nowait(Rendered(seq=8, frame=b"id: 8\r\n\r\n"))
    assert await anext(stream) == b"id: 7\r\n\r\nid: 8\r\n\r\n"
    await stream.aclose()
    assert store.slug not in hub._feeds


async def test_the_hub_reads_one_or_several_stores_as_the_event_log_shows_them(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    stores = [await make_store(sessions) for _ in range(2)]
    for store in stores:
        for n in range(3):
            await make_unit(sessions, store, stock_number=f"H{n}")  # events 1, 2, 3
    reads = await create_read_pool(settings.asyncpg_dsn, max_size=1)  # as the app's hub reads
    try:
        async with reads.acquire() as connection:
            one = await new_events(connection, [(stores[0].id, 1, 3)])
            both = await new_events(connection, [(stores[0].id, 0, 2), (stores[1].id, 1, 3)])
    finally:
        await reads.close()
    async with sessions() as session:
        logged = [await list_events(session, store_id=store.id) for store in stores]
    assert one == {stores[0].id: logged[0][1:3]}
    assert both == {stores[0].id: logged[0][0:2], stores[1].id: logged[1][1:3]}


async def test_a_batch_reaches_the_boards_after_postgres_closed_the_hubs_connection(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    app = create_app(settings)
    async with live_server(app) as url, httpx.AsyncClient(base_url=url) as api:
        store = await new_store(api)
        row = await store_row(sessions, store)
        async with streaming(url, store) as reader:
            await make_unit(sessions, row, stock_number="H1")
            assert (await reader.next()).data["stock_number"] == "H1"
            # A Postgres restart or a terminated backend closes the connection the hub holds.
            held = app.state.hub._connection
            assert held is not None
            async with sessions() as session:
                await session.execute(
                    text("SELECT pg_terminate_backend(:pid)"), {"pid": held.get_server_pid()}
                )
            await make_unit(sessions, row, stock_number="H2")
            # Delivered now, not only once the store's next event shows the gap.
            assert (await reader.next()).data["stock_number"] == "H2"
