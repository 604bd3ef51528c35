"""Pulling a store's feed URL: fetched on its interval from a real local HTTP server, retried
with backoff when it fails, recorded in the history, never removing a car on failure, and
fetched by one copy of the service only."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy import select, update

from inventory_sync.main import create_app
from inventory_sync.puller import PullSettings, pull_due_feeds
from recon.db.models import InventorySync, Store
from recon.settings import Settings
from tests.factories import make_store, make_unit
from tests.inventory.helpers import Sessions, units_by_vin, vehicle
from tests.platform.test_services import serving

FAST = PullSettings(poll_seconds=0.1, retry_delays=(0.05, 0.1), timeout_seconds=5)


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "text/csv"


@dataclass
class FeedServer:
    """Serves queued responses per path (the last one repeats) and counts the requests."""

    url: str
    responses: dict[str, list[Response]] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)

    def serve(self, path: str, *responses: Response) -> str:
        self.responses[path] = list(responses)
        self.requests[path] = 0
        return self.url + path


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server_state = FeedServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            queue = server_state.responses.get(self.path) or [Response(404, b"not found")]
            server_state.requests[self.path] = server_state.requests.get(self.path, 0) + 1
            response = queue.pop(0) if len(queue) > 1 else queue[0]
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
async def feed_store(sessions: Sessions) -> AsyncIterator[list[Store]]:
    """Stores given a feed URL by a test; their feeds are switched off afterwards so no later
    test's puller fetches them."""
    stores: list[Store] = []
    yield stores
    async with sessions() as session, session.begin():
        await session.execute(
            update(Store)
            .where(Store.id.in_([s.id for s in stores]))
            .values(inventory_feed_url=None)
        )


async def configure_feed(
    sessions: Sessions, stores: list[Store], url: str, *, interval_minutes: int = 60
) -> Store:
    store = await make_store(
        sessions, inventory_feed_url=url, inventory_feed_interval_minutes=interval_minutes
    )
    stores.append(store)
    return store


async def history(sessions: Sessions, store: Store) -> list[InventorySync]:
    async with sessions() as session:
        runs = await session.scalars(
            select(InventorySync)
            .where(InventorySync.store_id == store.id)
            .order_by(InventorySync.started_at)
        )
        return list(runs)


async def wait_for_runs(sessions: Sessions, store: Store, count: int) -> list[InventorySync]:
    for _ in range(200):
        runs = await history(sessions, store)
        if len(runs) >= count:
            return runs
        await asyncio.sleep(0.05)
    return await history(sessions, store)


def csv_feed(*rows: dict[str, object]) -> bytes:
    lines = ["VIN,Stock #,Year,Make,Model,Mileage"]
    lines += [
        f"{r['vin']},{r['stock_number']},{r['year']},{r['make']},{r['model']},{r['mileage']}"
        for r in rows
    ]
    return "\n".join(lines).encode()


class TestPull:
    async def test_the_worker_pulls_a_configured_feed_once_per_interval(
        self, settings: Settings, sessions: Sessions, feed_server: FeedServer, feed_store
    ) -> None:
        first, second = vehicle(), vehicle()
        url = feed_server.serve("/inventory.csv", Response(200, csv_feed(first, second)))
        store = await configure_feed(sessions, feed_store, url)
        await make_unit(sessions, store)  # not in the feed: a pulled feed is the whole inventory

        async with serving(create_app(settings, pull=FAST)):
            runs = await wait_for_runs(sessions, store, 1)
            await asyncio.sleep(0.3)  # a few more polls: the feed is not due again yet

        assert feed_server.requests["/inventory.csv"] == 1
        assert len(runs) == 1
        run = runs[0]
        assert (run.source, run.mode, run.status, run.created, run.removed) == (
            "pull",
            "full",
            "ok",
            2,
            1,
        )
        cars = await units_by_vin(sessions, store)
        assert cars[first["vin"]].removed_at is None
        assert sum(car.removed_at is None for car in cars.values()) == 2
        async with sessions() as session:
            next_at = await session.scalar(
                select(Store.inventory_feed_next_at).where(Store.id == store.id)
            )
        assert next_at is not None
        assert timedelta(minutes=59) < next_at - datetime.now(UTC) <= timedelta(minutes=60)

    async def test_a_json_feed_may_say_it_is_a_delta(
        self, settings: Settings, sessions: Sessions, feed_server: FeedServer, feed_store
    ) -> None:
        body = json.dumps({"mode": "delta", "vehicles": [vehicle()]}).encode()
        url = feed_server.serve("/feed", Response(200, body, "application/json"))
        store = await configure_feed(sessions, feed_store, url)
        await make_unit(sessions, store)

        async with httpx.AsyncClient() as client:
            assert await pull_due_feeds(sessions, client, FAST) >= 1

        (run,) = await history(sessions, store)
        assert (run.mode, run.created, run.removed) == ("delta", 1, 0)

    async def test_a_failing_feed_is_retried_recorded_and_removes_nothing(
        self, settings: Settings, sessions: Sessions, feed_server: FeedServer, feed_store
    ) -> None:
        url = feed_server.serve("/broken.csv", Response(503, b"down for maintenance"))
        store = await configure_feed(sessions, feed_store, url)
        unit = await make_unit(sessions, store)

        async with serving(create_app(settings, pull=FAST)):
            runs = await wait_for_runs(sessions, store, 1)

        assert feed_server.requests["/broken.csv"] == 1 + len(FAST.retry_delays)
        assert len(runs) == 1
        assert (runs[0].status, runs[0].source, runs[0].created, runs[0].removed) == (
            "failed",
            "pull",
            0,
            0,
        )
        assert runs[0].error == (
            f"GET {url} failed 3 times; last: answered 503 Service Unavailable"
        )
        assert (await units_by_vin(sessions, store))[unit.vin].removed_at is None

    async def test_a_feed_that_recovers_on_a_retry_is_applied(
        self, sessions: Sessions, feed_server: FeedServer, feed_store
    ) -> None:
        url = feed_server.serve(
            "/flaky.csv", Response(500, b"oops"), Response(200, csv_feed(vehicle()))
        )
        store = await configure_feed(sessions, feed_store, url)

        async with httpx.AsyncClient() as client:
            await pull_due_feeds(sessions, client, FAST)

        assert feed_server.requests["/flaky.csv"] == 2
        (run,) = await history(sessions, store)
        assert (run.status, run.created) == ("ok", 1)

    @pytest.mark.parametrize(
        ("body", "error"),
        [
            (b"VIN,Stock #\n", "the feed lists no vehicles; nothing was changed"),
            (
                b"Make,Model\nFord,F-150\n",
                "the CSV has no VIN column; its columns are: Make, Model",
            ),
        ],
    )
    async def test_an_empty_or_unreadable_feed_is_a_failure_not_a_wipe(
        self, sessions: Sessions, feed_server: FeedServer, feed_store, body: bytes, error: str
    ) -> None:
        url = feed_server.serve("/empty.csv", Response(200, body))
        store = await configure_feed(sessions, feed_store, url)
        unit = await make_unit(sessions, store)

        async with httpx.AsyncClient() as client:
            await pull_due_feeds(sessions, client, FAST)

        (run,) = await history(sessions, store)
        assert (run.status, run.error) == ("failed", error)
        assert (await units_by_vin(sessions, store))[unit.vin].removed_at is None

    async def test_several_copies_fetch_a_due_feed_once(
        self, sessions: Sessions, feed_server: FeedServer, feed_store
    ) -> None:
        url = feed_server.serve("/shared.csv", Response(200, csv_feed(vehicle(), vehicle())))
        store = await configure_feed(sessions, feed_store, url)

        async with httpx.AsyncClient() as client:
            await asyncio.gather(*(pull_due_feeds(sessions, client, FAST) for _ in range(4)))

        assert feed_server.requests["/shared.csv"] == 1
        (run,) = await history(sessions, store)
        assert run.created == 2
