"""board-api under load, as a real uvicorn process: GET units on a 500-unit store at 50
concurrent clients, SSE fan-out to 500 connected clients, and the process's memory."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator

import httpx

from bench.harness import BenchServers, Figure, percentile, rss_mb
from board_api.auth import hash_token, new_api_token
from recon.db.models import ApiToken, Store
from recon.db.session import create_engine, create_sessionmaker
from recon.devstack.servers import free_port
from recon.domain import units
from recon.domain.event_log import Cause
from recon.events import Actor
from recon.events.types import VehicleFields
from tests.factories import random_vin, unique_slug, unique_sms_number

UNITS = 500
CLIENTS = 50
REQUESTS_PER_CLIENT = 20
STREAMS = 500
FANOUT_ROUNDS = 30
STAGES = ("intake", "inspection", "mechanical", "sublet", "detail", "photos", "frontline")
CAUSE = Cause(actor=Actor(kind="api", name="bench"), source="api", service="bench")


@contextlib.contextmanager
def board_api_process(servers: BenchServers) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    settings = servers.settings
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "NATS_URL": settings.nats_url,
        "RECON_ADMIN_TOKEN": settings.admin_token.get_secret_value(),
        "RECON_ENV": "test",
        "RECON_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "board_api.main:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{url}/readyz", timeout=1) as response,
            ):
                if response.status == 200:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("board-api did not start")
            time.sleep(0.2)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


async def seed(servers: BenchServers) -> tuple[Store, str]:
    """A store of 500 units spread over the stages, some with work, notes and blockers."""
    engine = create_engine(servers.settings.database_url)
    sessions = create_sessionmaker(engine)
    token = new_api_token()
    async with sessions() as session, session.begin():
        store = Store(
            slug=unique_slug("bench"),
            name="Bench Motors",
            sms_number=unique_sms_number(),
            board_token=new_api_token(),
        )
        session.add(store)
        await session.flush()
        session.add(
            ApiToken(
                store_id=store.id, label="bench", scopes=["read"], token_hash=hash_token(token)
            )
        )
        for n in range(UNITS):
            unit = await units.create_unit(
                session,
                store_id=store.id,
                vehicle=VehicleFields(
                    vin=random_vin(), stock_number=f"B{n:04d}", year=2020, make="Toyota",
                    model="Camry", exterior_color="Silver", mileage=30000 + n,
                ),
                cause=CAUSE,
            )  # fmt: skip
            await units.move_unit(session, unit, to_stage=STAGES[n % len(STAGES)], cause=CAUSE)
            if n % 3 == 0:
                await units.open_work_items(session, unit, names=["brakes", "tires"], cause=CAUSE)
            if n % 5 == 0:
                await units.add_note(session, unit, body="waiting on customer", cause=CAUSE)
            if n % 10 == 0:
                await units.block_unit(session, unit, kind="parts", note="", eta=None, cause=CAUSE)
    await engine.dispose()
    return store, token


async def get_units_load(
    url: str, store: Store, token: str, limit: int, requests: int = REQUESTS_PER_CLIENT
) -> list[float]:
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=httpx.Limits(max_connections=CLIENTS), timeout=300
    ) as client:

        async def one_client() -> None:
            for _ in range(requests):
                started = time.perf_counter()
                response = await client.get(
                    f"/api/v1/stores/{store.slug}/units", params={"limit": limit}
                )
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text

        await client.get(f"/api/v1/stores/{store.slug}/units")  # warm up
        await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    return latencies


async def sse_fanout(
    url: str, servers: BenchServers, store: Store, process: subprocess.Popen[bytes]
) -> tuple[list[float], float]:
    """Commit an event, time until the last of 500 streams has it; RSS with them open."""
    received: dict[int, int] = defaultdict(int)
    everyone: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
    arrived: dict[int, float] = {}
    connected = 0
    all_connected = asyncio.Event()

    async def listen(client: httpx.AsyncClient) -> None:
        nonlocal connected
        path = f"/api/v1/stores/{store.slug}/stream"
        async with client.stream(
            "GET", path, params={"board_token": store.board_token}
        ) as response:
            async for line in response.aiter_lines():
                if line.startswith(":") and "connected" in line:
                    connected += 1
                    if connected == STREAMS:
                        all_connected.set()
                elif line.startswith("id:"):
                    seq = int(line[3:].strip())
                    received[seq] += 1
                    if received[seq] == STREAMS:
                        arrived[seq] = time.perf_counter()
                        everyone[seq].set()

    engine = create_engine(servers.settings.database_url)
    sessions = create_sessionmaker(engine)
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=STREAMS + 10, max_keepalive_connections=STREAMS + 10)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=None) as client:
        listeners = [asyncio.create_task(listen(client)) for _ in range(STREAMS)]
        try:
            await asyncio.wait_for(all_connected.wait(), 60)
            for round_ in range(FANOUT_ROUNDS):
                async with sessions() as session, session.begin():
                    unit = await units.get_unit(session, store_id=store.id, ref=f"B{round_:04d}")
                    await units.add_note(session, unit, body=f"round {round_}", cause=CAUSE)
                    seq = await session.scalar(
                        Store.__table__.select()
                        .with_only_columns(Store.last_event_seq)
                        .where(Store.id == store.id)
                    )
                committed = time.perf_counter()
                assert seq is not None
                await asyncio.wait_for(everyone[seq].wait(), 30)
                latencies.append(arrived[seq] - committed)
                await asyncio.sleep(0.05)
            loaded_rss = rss_mb(process.pid)
        finally:
            for task in listeners:
                task.cancel()
            await asyncio.gather(*listeners, return_exceptions=True)
    await engine.dispose()
    return latencies, loaded_rss


async def run(servers: BenchServers) -> list[Figure]:
    store, token = await seed(servers)
    figures: list[Figure] = []
    with board_api_process(servers) as (url, process):
        await asyncio.sleep(1)
        figures.append(Figure("board-api RSS at rest", rss_mb(process.pid), "MB"))
        for limit, label, requests in (
            (100, "default page of 100", REQUESTS_PER_CLIENT),
            (UNITS, "whole board of 500", 4),
        ):
            samples = await get_units_load(url, store, token, limit, requests)
            ms = [s * 1000 for s in samples]
            target = "p99 ≤ 25 ms" if limit == 100 else ""
            figures.append(
                Figure(f"GET units, {label}, 50 clients, p50", percentile(ms, 0.5), "ms")
            )
            figures.append(
                Figure(f"GET units, {label}, 50 clients, p99", percentile(ms, 0.99), "ms", target)
            )
        figures.append(Figure("board-api RSS after GET load", rss_mb(process.pid), "MB"))
        fanout, loaded_rss = await sse_fanout(url, servers, store, process)
        ms = [s * 1000 for s in fanout]
        figures.append(
            Figure(f"SSE commit → last of {STREAMS} clients, p50", percentile(ms, 0.5), "ms")
        )
        figures.append(
            Figure(
                f"SSE commit → last of {STREAMS} clients, p99",
                percentile(ms, 0.99),
                "ms",
                "≤ 250 ms",
            )
        )
        figures.append(Figure(f"board-api RSS with {STREAMS} streams", loaded_rss, "MB"))
    return figures
