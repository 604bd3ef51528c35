"""Notifier figures: texts per second from event to provider call (pacing and batching off),
and the notifier process's memory at rest and after 10,000 texts.

The notifier runs as its own uvicorn process (so its memory is its own) against the fake Twilio
server; 2,000 units move to detail at a store with 5 detailers: 10,000 texts.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
import uuid

from sqlalchemy import select

from bench.harness import ROOT, BenchServers, Figure, rss_mb
from recon.db.models import Staff, Store, Unit
from recon.db.session import create_engine, create_sessionmaker
from recon.devstack.run import wait_ready
from recon.devstack.servers import free_port
from recon.domain import units
from recon.domain.event_log import Cause
from recon.events import Actor
from recon.events.types import VehicleFields
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

UNITS = int(os.environ.get("BENCH_NOTIFIER_UNITS", "2000"))
DETAILERS = 5
TEXTS = UNITS * DETAILERS
CAUSE = Cause(actor=Actor(kind="api", name="bench"), source="api", service="bench")


def start_notifier(servers: BenchServers, fake: FakeTwilio, port: int) -> subprocess.Popen[bytes]:
    settings = servers.settings
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "NATS_URL": settings.nats_url,
        "RECON_ADMIN_TOKEN": settings.admin_token.get_secret_value(),
        "RECON_ENV": "test",
        "RECON_LOG_LEVEL": "WARNING",
        "SMS_PROVIDER": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_BASE_URL": fake.base_url,
        "RECON_NOTIFIER_CONSUMER": f"notifier-bench-{uuid.uuid4().hex[:8]}",
        "RECON_NOTIFY_RATE_PER_SECOND": "0",
        "RECON_NOTIFY_BATCH_SECONDS": "0",
        "RECON_NOTIFY_CONCURRENCY": "50",
        "RECON_NOTIFY_POLL_SECONDS": "0.05",
        "RECON_OUTBOX_POLL_SECONDS": "0.2",
    }
    (ROOT / ".local").mkdir(exist_ok=True)
    log = (ROOT / ".local" / "bench-notifier.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "notifier.main:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    wait_ready(f"http://127.0.0.1:{port}/readyz", process=process)
    return process


async def run(servers: BenchServers) -> list[Figure]:
    fake = FakeTwilio().start()
    engine = create_engine(servers.settings.database_url, pool_size=5)
    sessions = create_sessionmaker(engine)
    process = start_notifier(servers, fake, free_port())
    try:
        async with sessions() as session, session.begin():
            store = Store(
                slug=f"bench-notifier-{uuid.uuid4().hex[:6]}",
                name="Bench Motors",
                sms_number="+1512" + f"{secrets.randbelow(10**7):07d}",
                board_token=secrets.token_urlsafe(24),
                quiet_hours_start=None,
                quiet_hours_end=None,
            )
            session.add(store)
            await session.flush()
            phones = {f"+1737{secrets.randbelow(10**7):07d}" for _ in range(DETAILERS)}
            session.add_all(
                Staff(store_id=store.id, name=f"Detailer {i}", phone=phone, role="detailer")
                for i, phone in enumerate(phones)
            )
            for number in range(UNITS):
                vehicle = VehicleFields(vin=f"BENCH{number:012d}", stock_number=f"B{number}")
                await units.create_unit(session, store_id=store.id, vehicle=vehicle, cause=CAUSE)
        await asyncio.sleep(3)  # let the notifier take in the creations and settle
        at_rest = rss_mb(process.pid)

        async with sessions() as session:
            loaded = (
                await session.scalars(
                    select(Unit).where(Unit.store_id == store.id).options(*units.UNIT_CHILDREN)
                )
            ).all()
        started = time.perf_counter()
        for offset in range(0, len(loaded), 200):
            async with sessions() as session, session.begin():
                for unit in loaded[offset : offset + 200]:
                    session.add(unit)
                    await units.move_unit(session, unit, to_stage="detail", cause=CAUSE)

        def delivered() -> int:
            with fake._lock:
                return sum(1 for message in fake.accepted if message["to"] in phones)

        deadline = time.perf_counter() + float(os.environ.get("BENCH_NOTIFIER_WAIT", "600"))
        while delivered() < TEXTS and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        count = delivered()
        after = rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
        fake.stop()
        await engine.dispose()
    return [
        Figure("notifier texts/s, event to provider call (pacing off)", count / elapsed, "texts/s"),
        Figure(f"notifier texts delivered of {TEXTS}", count, "texts"),
        Figure("notifier memory at rest", at_rest, "MB"),
        Figure(f"notifier memory after {TEXTS:,} texts", after, "MB"),
    ]
