"""Inventory sync through the HTTP endpoint of a real uvicorn process (bench.services): 10,000 new cars in a
full sync, the same feed again (all unchanged), and 100-car deltas; vehicles/s and the
service's peak memory for each."""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.harness import BenchServers, Figure, median
from bench.services import running_service
from recon.db.models import Outbox, Store
from recon.db.session import create_engine, create_sessionmaker
from recon.vin import VIN_CHARACTERS, check_digit

FEED_SIZE = 10_000
DELTA_SIZE = 100
DELTA_RUNS = 7
_VIN_CHARS = sorted(VIN_CHARACTERS)


def feed(size: int) -> list[dict[str, Any]]:
    vehicles = []
    for number in range(size):
        chars = [random.choice(_VIN_CHARS) for _ in range(17)]
        chars[8] = check_digit("".join(chars))
        vehicles.append(
            {
                "vin": "".join(chars),
                "stock_number": f"B{number:06d}",
                "year": random.randint(2012, 2025),
                "make": random.choice(["Ford", "Chevrolet", "Toyota", "Honda", "Ram"]),
                "model": random.choice(["F-150", "Silverado", "Camry", "Accord", "1500"]),
                "trim": random.choice(["XLT", "LT", "SE", "EX-L", None]),
                "exterior_color": random.choice(["White", "Black", "Silver", "Blue"]),
                "mileage": random.randint(5, 150_000),
                "received_at": f"2024-{random.randint(1, 12):02d}-{random.randint(1, 28):02d}",
            }
        )
    return vehicles


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run(servers: BenchServers) -> list[Figure]:
    engine = create_engine(servers.settings.database_url)
    sessions = create_sessionmaker(engine)
    async with sessions() as session, session.begin():
        store = Store(
            slug=f"bench-{secrets.token_hex(4)}",
            name="Bench Motors",
            sms_number="+1512" + str(random.randint(1000000, 9999999)),
            board_token=secrets.token_urlsafe(24),
        )
        session.add(store)

    async def outbox_empty() -> None:
        # Let the relay publish the last sync's events so each step starts from rest.
        for _ in range(600):
            async with sessions() as session:
                if not await session.scalar(select(func.count()).select_from(Outbox)):
                    return
            await asyncio.sleep(0.1)

    figures: list[Figure] = []
    settings = servers.settings
    headers = {"Authorization": f"Bearer {settings.admin_token.get_secret_value()}"}
    url = f"/api/v1/stores/{store.slug}/inventory"
    try:
        async with (
            running_service("inventory-sync", settings) as service,
            httpx.AsyncClient(base_url=service.url, timeout=120, headers=headers) as client,
        ):
            process = service.process
            figures.append(Figure("inventory service RSS at rest", peak_rss_mb(process.pid), "MB"))
            vehicles = feed(FEED_SIZE)

            async def timed(body: dict[str, Any], expect: str, count: int) -> float:
                started = time.perf_counter()
                response = await client.post(url, json=body)
                seconds = time.perf_counter() - started
                response.raise_for_status()
                assert response.json()[expect] == count, response.json()
                return seconds

            def add(name: str, seconds: float, size: int, target: float) -> None:
                figures.extend(
                    [
                        Figure(
                            f"inventory {name}", seconds * 1000, "ms", f"<= {target * 1000:.0f} ms"
                        ),
                        Figure(f"inventory {name} rate", size / seconds, "vehicles/s"),
                        Figure(f"inventory {name} peak RSS", peak_rss_mb(process.pid), "MB"),
                    ]
                )

            seconds = await timed({"mode": "full", "vehicles": vehicles}, "created", FEED_SIZE)
            add("10k new (full)", seconds, FEED_SIZE, 3.0)
            await outbox_empty()

            seconds = await timed({"mode": "full", "vehicles": vehicles}, "unchanged", FEED_SIZE)
            add("10k unchanged (full)", seconds, FEED_SIZE, 1.5)

            samples = []
            for run_number in range(DELTA_RUNS):
                delta = [
                    {**car, "mileage": car["mileage"] + run_number + 1}
                    for car in random.sample(vehicles, DELTA_SIZE)
                ]
                await outbox_empty()
                samples.append(await timed({"mode": "delta", "vehicles": delta}, "updated", 100))
            add("100 delta (median)", median(samples), DELTA_SIZE, 0.1)
            figures.append(Figure("inventory 100 delta (worst)", max(samples) * 1000, "ms"))
    finally:
        await engine.dispose()
    return figures
