"""ingest-sms figures: how fast texts are understood (the interpreter alone, on one core), a
signed webhook → committed → SSE client received, p50/p99 at a steady 50 texts/s, and the
highest rate of texts/s sustained with no errors.

Every service runs as a real uvicorn subprocess (board-api, inventory-sync and the notifier
once; ingest-sms with one worker, then with two, its outbox relay inside, as in production)
for a dealer group of 10 stores of 100 units, each texted by 100 staff. This process posts
the texts, signed as Twilio signs them, to random stores, and holds one SSE stream per store
open on board-api (`/api/v1/stores/{slug}/stream?board_token=…`, as the web board does): a
text's latency ends when its `note.added` event arrives there. Each text adds a note to a car
("4012 note: bench 17"), so every text is a real change: store inbound, understand, apply
through the domain, store the reply, publish, fan out.

Why a group and not one store: every write in a store takes that store's event lock (events
are numbered per store in commit order), so one store's texts are applied one at a time;
the rate one store sustains is printed too. A step of the ramp counts as sustained when every
text got its confirmation, every one reached its SSE client, the webhook kept up with the
offered rate, and nothing queued (webhook p99 under a second).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import random
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.harness import BenchServers, Figure, percentile, read_response, settle_heap
from bench.services import running_service
from recon.db.models import Staff, Store
from recon.db.session import create_engine, create_sessionmaker
from recon.devstack.text import SMS_PATH, reply_of, sign, text_form
from recon.domain import units
from recon.domain.event_log import Cause
from recon.events import Actor
from recon.events.types import VehicleFields
from recon.settings import Settings
from recon.understanding.bench import bench_interpret

AUTH_TOKEN = "bench-twilio-auth-token"
PUBLIC_BASE_URL = "https://recon.example.com"
STORES = 10
UNITS = 100
# Senders per store: enough that none texts faster than FLOOD_PER_MINUTE at the highest
# rates measured (300/s is 18 texts a minute each), so the flood guard stays on and is paid
# for as in production: each text counts its sender's texts of the last minute.
STAFF = 100
FLOOD_PER_MINUTE = 60
# ingest-sms copies: one process, then two uvicorn workers (what `make run` could use).
# BENCH_INGEST_WORKERS=1 measures just one (a quicker run while working on it).
WORKER_COUNTS = tuple(int(n) for n in os.environ.get("BENCH_INGEST_WORKERS", "1,2").split(","))
STEADY_RATE = 50
STEADY_SECONDS = 10
WARM_SECONDS = 4
RAMP_RATES = (50, 75, 100, 125, 150, 175, 200, 250, 300, 400, 600)
RAMP_SECONDS = 6
# Texts keep arriving after the schedule ends; how long a step may take to drain.
DRAIN_SECONDS = 3.0
# Keep-alive connections idle longer than this are not reused (uvicorn closes them at 5 s).
IDLE_SECONDS = 3.0
# How long after a step's last answer its events may still be on their way to SSE.
SSE_GRACE_SECONDS = 1.0
CAUSE = Cause(actor=Actor(kind="inventory", name="bench"), source="inventory", service="bench")


def _tree_cpu_seconds(root: int) -> float:
    """User + system CPU of a process and all its descendants, live and reaped, so far."""
    parents: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        parents.setdefault(int(fields[1]), []).append(pid)
        times[pid] = sum(int(value) for value in fields[11:15])
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += int(times.get(pid, 0))
        todo += parents.get(pid, [])
    return total / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuWatch:
    """The processes whose CPU per text is reported: each service, Postgres, NATS, this one."""

    roots: dict[str, int] = field(default_factory=dict)

    def snapshot(self) -> dict[str, float]:
        taken = {name: _tree_cpu_seconds(pid) for name, pid in self.roots.items()}
        own = os.times()
        taken["bench client"] = own.user + own.system
        return taken


@dataclass(frozen=True)
class Seeded:
    slug: str
    board_token: str
    sms_number: str
    phones: list[str]
    stock_numbers: list[str]


# What urllib.parse.urlencode does to each name and value, remembered: most of a text's form
# (its field names, the phones, the store's number) is the same from text to text, and quoting
# it character by character was a fifth of this client's CPU.
_quote = functools.lru_cache(maxsize=4096)(urllib.parse.quote_plus)


class PostPool:
    """Keep-alive HTTP/1.1 connections posting forms, one request per connection at a time
    (a new one is opened when all are busy), parsing only the status line and Content-Length.
    httpx takes ~8 ms of CPU per text here, and on a 2-core machine that is taken from the
    services measured; this client takes well under a millisecond."""

    def __init__(self, url: str = "") -> None:
        self.url = url
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def post(self, path: str, form: dict[str, str], headers: dict[str, str]) -> bytes:
        """The body of a 200 answer (HTTPError for any other status or a broken connection)."""
        parts = urllib.parse.urlsplit(self.url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        body = "&".join(f"{_quote(name)}={_quote(value)}" for name, value in form.items())
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\n{head}"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n{body}"
        ).encode()
        while self._idle and self._idle[-1][2] < time.monotonic() - IDLE_SECONDS:
            self._idle.pop()[1].close()  # uvicorn closes a connection idle for 5 s
        if self._idle:
            reader, writer, _ = self._idle.pop()
        else:
            reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(request)
            status, content = await read_response(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            writer.close()
            raise httpx.TransportError(str(exc)) from exc
        self._idle.append((reader, writer, time.monotonic()))
        if status != 200:
            raise httpx.HTTPError(f"HTTP {status}")
        return content

    def close(self) -> None:
        for _, writer, _ in self._idle:
            writer.close()
        self._idle.clear()


@dataclass
class Bench:
    client: PostPool
    stores: list[Seeded]
    watch: CpuWatch = field(default_factory=CpuWatch)
    sent_at: dict[str, float] = field(default_factory=dict)
    received_at: dict[str, float] = field(default_factory=dict)
    # What went wrong, by the start of the error or the reply: printed after each step.
    failures: Counter[str] = field(default_factory=Counter)

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
            answer = await self.client.post(SMS_PATH, form, headers)
        except httpx.HTTPError as exc:
            self.failures[str(exc)[:60]] += 1
            return time.perf_counter() - started, False
        elapsed = time.perf_counter() - started
        reply = reply_of(answer.decode()) or ""
        if "note added" not in reply:
            self.failures[reply[:60]] += 1
            return elapsed, False
        return elapsed, True

    def on_sse_data(self, data: str) -> None:
        if "note.added" not in data:
            return
        event = json.loads(data)
        if event.get("type") != "note.added":
            return
        body = str(event.get("data", {}).get("body", ""))
        if body.startswith("bench "):
            self.received_at.setdefault(body.removeprefix("bench "), time.perf_counter())


@dataclass(frozen=True)
class Step:
    rate: int
    offered: int
    errors: int
    unseen: int
    achieved: float
    webhook_p50_ms: float
    webhook_p99_ms: float
    sse_p50_ms: float
    sse_p99_ms: float
    # CPU milliseconds per text offered, per process (tree) watched.
    cpu_ms: dict[str, float] = field(default_factory=dict)


async def run(servers: BenchServers) -> list[Figure]:
    interpreted = bench_interpret(n_units=500)  # in this process, before any load: one core
    figures = [
        Figure(
            "text interpretation, store of 500 units (one core)",
            interpreted["texts_per_second"],
            "texts/s",
            "≥ 5000",
        )
    ]
    settings = servers.settings
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    stores = [await _seed(sessions, n) for n in range(STORES)]
    await engine.dispose()
    watch = CpuWatch()
    if servers.postgres is not None:
        pid_file = servers.postgres.data_dir / "postmaster.pid"
        watch.roots["postgres"] = int(pid_file.read_text().split()[0])
    if servers.nats is not None and servers.nats.process is not None:
        watch.roots["nats"] = servers.nats.process.pid
    async with (
        running_service("board-api", settings) as board,
        running_service("inventory-sync", settings) as inventory,
        running_service("notifier", settings, SMS_PROVIDER="log") as notifier,
    ):
        for other in (board, inventory, notifier):
            watch.roots[other.name] = other.process.pid
        bench = Bench(PostPool(), stores, watch=watch)
        async with _sse_listeners(bench, board.url, stores):
            for workers in WORKER_COUNTS:
                figures += await _measure(bench, settings, workers=workers)
    return figures


async def _measure(bench: Bench, settings: Settings, *, workers: int) -> list[Figure]:
    env = {
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "RECON_SMS_FLOOD_PER_MINUTE": str(FLOOD_PER_MINUTE),
        "WEB_CONCURRENCY": str(workers),
    }
    label = "1 process" if workers == 1 else f"{workers} workers"
    print(f"  ingest-sms with {label}", flush=True)
    async with running_service("ingest-sms", settings, **env) as service:
        bench.client.close()
        bench.client = PostPool(service.url)
        bench.watch.roots["ingest-sms"] = service.process.pid
        tag = f"w{workers}"
        # Steady means warm: each copy's connection pool filled to what the rate needs and
        # every store's unit index cached (a cold start opens connections mid-measurement).
        await _step(bench, rate=STEADY_RATE, seconds=WARM_SECONDS, prefix=f"{tag}-warm")
        bench.failures.clear()
        settle_heap()
        steady = await _step(bench, rate=STEADY_RATE, seconds=STEADY_SECONDS, prefix=f"{tag}-s")
        _print(steady, bench.failures)
        best: Step | None = None
        for rate in RAMP_RATES:
            step = await _step(bench, rate=rate, seconds=RAMP_SECONDS, prefix=f"{tag}-r{rate}")
            _print(step, bench.failures)
            if not _sustained(step):
                break
            best = step
        single: Step | None = None
        if workers == max(WORKER_COUNTS):
            one_store = Bench(bench.client, bench.stores[:1], watch=bench.watch)
            one_store.sent_at, one_store.received_at = bench.sent_at, bench.received_at
            single = await _step(one_store, rate=30, seconds=RAMP_SECONDS, prefix=f"{tag}-one")
    figures = [
        Figure(f"text webhook → SSE client p50 @50/s ({label})", steady.sse_p50_ms, "ms", ""),
        Figure(f"text webhook → SSE client p99 @50/s ({label})", steady.sse_p99_ms, "ms", "≤ 150"),
        Figure(f"text webhook answered p99 @50/s ({label})", steady.webhook_p99_ms, "ms", ""),
        Figure(
            f"texts @50/s failed or not on SSE ({label})",
            float(steady.errors + steady.unseen),
            "texts",
            "0",
        ),
        Figure(
            f"texts/s sustained with no errors ({STORES} stores, {label})",
            float(best.rate if best else 0),
            "texts/s",
            "≥ 300",
        ),
        *(
            Figure(f"CPU per text @50/s, {name} ({label})", ms, "ms")
            for name, ms in steady.cpu_ms.items()
        ),
    ]
    if single is not None:
        figures.append(
            Figure(
                f"texts/s done when one store is sent 30/s ({label})", single.achieved, "texts/s"
            )
        )
    return figures


def _print(step: Step, failures: Counter[str]) -> None:
    cpu = ", ".join(f"{name} {ms:.1f}" for name, ms in step.cpu_ms.items())
    print(
        f"    {step.rate}/s offered: {step.achieved:.0f}/s done, {step.errors} errors, "
        f"{step.unseen} not on SSE, webhook p99 {step.webhook_p99_ms:.0f} ms, "
        f"SSE p50 {step.sse_p50_ms:.0f} ms p99 {step.sse_p99_ms:.0f} ms\n"
        f"      CPU ms per text: {cpu}; total {sum(step.cpu_ms.values()):.1f}",
        flush=True,
    )
    for failure, count in failures.most_common(3):
        print(f"      {count} × {failure!r}", flush=True)
    failures.clear()


def _sustained(step: Step) -> bool:
    """No errors, every event seen, kept up with the offered rate, and not queueing."""
    return (
        step.errors == 0
        and step.unseen == 0
        and step.achieved >= 0.95 * step.rate
        and step.webhook_p99_ms < 1000
    )


@contextlib.asynccontextmanager
async def _sse_listeners(bench: Bench, board_url: str, stores: list[Seeded]) -> AsyncIterator[None]:
    """One live stream per store, as the web board holds; returns once all are connected."""
    connected = [asyncio.Event() for _ in stores]
    tasks = [
        asyncio.create_task(_listen(bench, board_url, store, ready))
        for store, ready in zip(stores, connected, strict=True)
    ]
    try:
        async with asyncio.timeout(30):
            await asyncio.gather(*(ready.wait() for ready in connected))
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _listen(bench: Bench, board_url: str, store: Seeded, ready: asyncio.Event) -> None:
    """Read one SSE stream over a raw connection (chunked transfer encoding), as cheaply as
    the POSTs, for the same reason."""
    parts = urllib.parse.urlsplit(board_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    query = urllib.parse.urlencode({"board_token": store.board_token})
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            f"GET /api/v1/stores/{store.slug}/stream?{query} HTTP/1.1\r\n"
            f"Host: {host}\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        if int(head.split(b" ", 2)[1]) != 200:
            raise RuntimeError(f"stream of {store.slug}: {head!r}")
        chunked = b"chunked" in head.lower()
        pending = b""
        while True:
            if chunked:
                size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                if size == 0:
                    return
                data = (await reader.readexactly(size + 2))[:-2]
            else:
                data = await reader.read(65536)
                if not data:
                    return
            *lines, pending = (pending + data).split(b"\n")
            for line in lines:
                if line.startswith(b":"):
                    ready.set()  # the "connected" comment: live from here on
                elif line.startswith(b"data:"):
                    bench.on_sse_data(line[5:].strip().decode())
    finally:
        writer.close()


async def _step(bench: Bench, *, rate: int, seconds: int, prefix: str) -> Step:
    """Open loop: texts go out on the clock whether or not earlier ones were answered."""
    loop = asyncio.get_running_loop()
    count = rate * seconds
    cpu_before = bench.watch.snapshot()
    start = loop.time()
    tasks = []
    for n in range(count):
        delay = start + n / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(bench.text(f"{prefix}-{n}")))
    results = await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    await asyncio.sleep(SSE_GRACE_SECONDS)
    cpu_after = bench.watch.snapshot()
    cpu_ms = {
        name: (cpu_after[name] - cpu_before.get(name, cpu_after[name])) * 1000 / count
        for name in cpu_after
    }
    webhook_ms = [seconds_taken * 1000 for seconds_taken, _ in results]
    errors = sum(1 for _, ok in results if not ok)
    achieved = count / max(elapsed, seconds)
    if elapsed > seconds + DRAIN_SECONDS:
        achieved = count / elapsed
    sent = [tag for tag in bench.sent_at if tag.startswith(f"{prefix}-")]
    sse_ms = [
        (bench.received_at[tag] - bench.sent_at[tag]) * 1000
        for tag in sent
        if tag in bench.received_at
    ]
    return Step(
        rate=rate,
        offered=count,
        errors=errors,
        unseen=len(sent) - len(sse_ms),
        achieved=achieved,
        webhook_p50_ms=percentile(webhook_ms, 0.5),
        webhook_p99_ms=percentile(webhook_ms, 0.99),
        sse_p50_ms=percentile(sse_ms, 0.5),
        sse_p99_ms=percentile(sse_ms, 0.99),
        cpu_ms=cpu_ms,
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
    return Seeded(
        store.slug,
        store.board_token,
        store.sms_number,
        [member.phone for member in staff],
        stock_numbers,
    )
