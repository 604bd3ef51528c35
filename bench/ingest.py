"""ingest-sms figures: a signed webhook → committed → event received, p50/p99 at a steady
50 texts/s, and the highest rate of texts/s sustained with no errors.

ingest-sms runs as a real uvicorn subprocess (two workers, its outbox relay inside, as in
production) for a dealer group of 10 stores of 100 units, each texted by its 5 staff; this
process posts the texts, signed as Twilio signs them, to random stores, and listens on NATS
for the events they cause. Each text adds a note to a car ("4012 note: bench 17"), so every
text is a real change: store inbound, understand, apply through the domain, store the reply,
publish.

Why a group and not one store: every write in a store takes that store's event lock (events
are numbered per store in commit order), so one store's texts are applied one at a time;
the rate one store sustains is printed too. The latency is also measured at 15 texts/s, under
what one ingest-sms copy handles on the 2-core bench machine (~30 texts/s: each text costs
~25-30 ms of service CPU for its ~25 SQL statements), so the queue-free figure is visible.

board-api's SSE stream is not in this branch yet, so "received" is the event arriving on
NATS (the stream board-api fans out from), not an SSE client.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from nats.aio.msg import Msg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.harness import BenchServers, Figure, percentile
from bench.services import running_service
from recon.db.models import Staff, Store
from recon.db.session import create_engine, create_sessionmaker
from recon.devstack.text import SMS_PATH, reply_of, sign, text_form
from recon.domain import units
from recon.domain.event_log import Cause
from recon.events import Actor, CloudEvent
from recon.events.types import VehicleFields
from recon.messaging.jetstream import connect

AUTH_TOKEN = "bench-twilio-auth-token"
PUBLIC_BASE_URL = "https://recon.example.com"
STORES = 10
UNITS = 100
STAFF = 5
WORKERS = "2"
STEADY_RATE = 50
# Below one service's capacity on the bench machine: the latency when nothing queues.
LIGHT_RATE = 15
STEADY_SECONDS = 10
RAMP_RATES = (100, 200, 300, 400, 500, 600, 800)
RAMP_SECONDS = 6
# Texts keep arriving after the schedule ends; how long a step may take to drain.
DRAIN_SECONDS = 3.0
CAUSE = Cause(actor=Actor(kind="inventory", name="bench"), source="inventory", service="bench")


@dataclass(frozen=True)
class Seeded:
    sms_number: str
    phones: list[str]
    stock_numbers: list[str]


@dataclass
class Bench:
    client: httpx.AsyncClient
    url: str
    stores: list[Seeded]
    sent_at: dict[str, float] = field(default_factory=dict)
    received_at: dict[str, float] = field(default_factory=dict)

    async def text(self, tag: str) -> tuple[float, bool]:
        """One signed text; (webhook seconds, answered with a confirmation)."""
        store = random.choice(self.stores)
        form = text_form(
            from_number=random.choice(store.phones),
            to_number=store.sms_number,
            body=f"{random.choice(store.stock_numbers)} note: bench {tag}",
        )
        headers = {
            "X-Twilio-Signature": sign(
                auth_token=AUTH_TOKEN, url=PUBLIC_BASE_URL + SMS_PATH, params=form
            )
        }
        started = time.perf_counter()
        self.sent_at[tag] = started
        try:
            response = await self.client.post(self.url + SMS_PATH, data=form, headers=headers)
        except httpx.HTTPError:
            return time.perf_counter() - started, False
        elapsed = time.perf_counter() - started
        reply = reply_of(response.text) if response.status_code == 200 else None
        return elapsed, bool(reply and "note added" in reply)

    def on_event(self, msg: Msg) -> None:
        event = CloudEvent.model_validate_json(msg.data)
        body = str(event.data.get("body", ""))
        if body.startswith("bench "):
            self.received_at.setdefault(body.removeprefix("bench "), time.perf_counter())


@dataclass(frozen=True)
class Step:
    rate: int
    offered: int
    errors: int
    achieved: float
    webhook_p50_ms: float
    webhook_p99_ms: float


async def run(servers: BenchServers) -> list[Figure]:
    settings = servers.settings
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    stores = [await _seed(sessions, n) for n in range(STORES)]
    await engine.dispose()
    nc = await connect(settings.nats_url, name="bench-ingest")
    env = {
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        # The bench's 50 senders text far faster than people do; the guard is not measured.
        "RECON_SMS_FLOOD_PER_MINUTE": "1000000",
        "RECON_DB_POOL_SIZE": "20",
        "WEB_CONCURRENCY": WORKERS,
    }
    try:
        async with (
            running_service("ingest-sms", settings, **env) as service,
            httpx.AsyncClient(
                timeout=30, limits=httpx.Limits(max_connections=400, max_keepalive_connections=400)
            ) as client,
        ):
            bench = Bench(client, service.url, stores)
            subscription = await nc.subscribe("recon.*.note.added", cb=_callback(bench))
            await _schedule(bench, rate=20, seconds=2, prefix="warm")  # caches, pools
            light = await _schedule(bench, rate=LIGHT_RATE, seconds=STEADY_SECONDS, prefix="l")
            await asyncio.sleep(1)
            light_latencies, _ = _event_latencies(bench, "l-")
            steady = await _schedule(bench, rate=STEADY_RATE, seconds=STEADY_SECONDS, prefix="s")
            await asyncio.sleep(1)
            latencies, lost = _event_latencies(bench, "s-")
            best: Step | None = None
            for rate in RAMP_RATES:
                step = await _schedule(bench, rate=rate, seconds=RAMP_SECONDS, prefix=f"r{rate}")
                print(
                    f"  {rate}/s offered: {step.achieved:.0f}/s done, {step.errors} errors, "
                    f"webhook p99 {step.webhook_p99_ms:.0f} ms",
                    flush=True,
                )
                if not _sustained(step):
                    break
                best = step
                await asyncio.sleep(1)
            one_store = Bench(client, service.url, stores[:1])
            single = await _schedule(one_store, rate=30, seconds=RAMP_SECONDS, prefix="one")
            await subscription.unsubscribe()
    finally:
        await nc.close()
    return [
        Figure(
            f"text webhook → event on NATS p50 @{LIGHT_RATE}/s",
            percentile(light_latencies, 0.5),
            "ms",
            "",
        ),
        Figure(
            f"text webhook → event on NATS p99 @{LIGHT_RATE}/s",
            percentile(light_latencies, 0.99),
            "ms",
            "",
        ),
        Figure(f"text webhook answered p99 @{LIGHT_RATE}/s", light.webhook_p99_ms, "ms", ""),
        Figure("text webhook → event on NATS p50 @50/s", percentile(latencies, 0.5), "ms", ""),
        Figure(
            "text webhook → event on NATS p99 @50/s", percentile(latencies, 0.99), "ms", "≤ 150"
        ),
        Figure("text webhook answered p99 @50/s", steady.webhook_p99_ms, "ms", ""),
        Figure("texts @50/s without their event", float(lost + steady.errors), "texts", "0"),
        Figure(
            f"texts/s sustained with no errors ({STORES} stores)",
            float(best.rate if best else 0),
            "texts/s",
            "≥ 300",
        ),
        Figure("texts/s done when one store is sent 30/s", single.achieved, "texts/s", ""),
    ]


def _event_latencies(bench: Bench, prefix: str) -> tuple[list[float], int]:
    """Milliseconds from posting each text to its event arriving; and how many never did."""
    sent = [tag for tag in bench.sent_at if tag.startswith(prefix)]
    latencies = [
        (bench.received_at[tag] - bench.sent_at[tag]) * 1000
        for tag in sent
        if tag in bench.received_at
    ]
    return latencies, len(sent) - len(latencies)


def _sustained(step: Step) -> bool:
    """No errors, kept up with the offered rate, and not queueing (p99 under a second)."""
    return step.errors == 0 and step.achieved >= 0.95 * step.rate and step.webhook_p99_ms < 1000


def _callback(bench: Bench) -> Callable[[Msg], Awaitable[None]]:
    async def on_message(msg: Msg) -> None:
        bench.on_event(msg)

    return on_message


async def _schedule(bench: Bench, *, rate: int, seconds: int, prefix: str) -> Step:
    """Open loop: texts go out on the clock whether or not earlier ones were answered."""
    loop = asyncio.get_running_loop()
    count = rate * seconds
    start = loop.time()
    tasks = []
    for n in range(count):
        delay = start + n / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(bench.text(f"{prefix}-{n}")))
    results = await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    webhook_ms = [seconds_taken * 1000 for seconds_taken, _ in results]
    errors = sum(1 for _, ok in results if not ok)
    achieved = count / max(elapsed, seconds)
    if elapsed > seconds + DRAIN_SECONDS:
        achieved = count / elapsed
    return Step(
        rate=rate,
        offered=count,
        errors=errors,
        achieved=achieved,
        webhook_p50_ms=percentile(webhook_ms, 0.5),
        webhook_p99_ms=percentile(webhook_ms, 0.99),
    )


async def _seed(sessions: async_sessionmaker[AsyncSession], number: int) -> Seeded:
    """A store of UNITS active cars and STAFF technicians."""
    async with sessions() as session, session.begin():
        store = Store(
            slug=f"bench-ingest-{uuid.uuid4().hex[:8]}",
            name=f"Bench Motors {number}",
            sms_number=f"+1737555{number:04d}",
            board_token=uuid.uuid4().hex,
        )
        session.add(store)
        await session.flush()
        staff = [
            Staff(
                store_id=store.id,
                name=f"Tech {n}",
                phone=f"+1512555{number:02d}{n:02d}",
                role="technician",
            )
            for n in range(STAFF)
        ]
        session.add_all(staff)
        stock_numbers = [str(4000 + n) for n in range(UNITS)]
        for n, stock in enumerate(stock_numbers):
            await units.create_unit(
                session,
                store_id=store.id,
                vehicle=VehicleFields(
                    vin=f"1B{number:03d}{n:012d}",
                    stock_number=stock,
                    year=2015 + n % 9,
                    make="Ford",
                    model=("F-150", "Escape", "Explorer", "Mustang")[n % 4],
                    exterior_color=("White", "Black", "Gray", "Blue")[n % 4],
                ),
                cause=CAUSE,
            )
    return Seeded(store.sms_number, [member.phone for member in staff], stock_numbers)
