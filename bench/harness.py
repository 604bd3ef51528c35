"""What every benchmark shares: real servers (embedded unless DATABASE_URL / NATS_URL are
set), migrated once, and the figures they report. Benchmarks measure; they assert nothing."""

from __future__ import annotations

import asyncio
import gc
import os
import resource
import statistics
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from recon.devstack.servers import EmbeddedNats, EmbeddedPostgres, throwaway_servers
from recon.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
ADMIN_TOKEN = "bench-admin-token-" + "x" * 16


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    target: str = ""


@dataclass
class BenchServers:
    settings: Settings
    postgres: EmbeddedPostgres | None
    nats: EmbeddedNats | None


@contextmanager
def bench_servers() -> Iterator[BenchServers]:
    with throwaway_servers(ROOT / ".local" / f"bench-{os.getpid()}") as servers:
        settings = Settings.model_validate(
            {
                "DATABASE_URL": servers.database_url,
                "NATS_URL": servers.nats_url,
                "RECON_ADMIN_TOKEN": ADMIN_TOKEN,
                "RECON_ENV": "test",
            }
        )
        yield BenchServers(settings=settings, postgres=servers.postgres, nats=servers.nats)


def settle_heap() -> None:
    """Set what this process holds so far (its imports, the seeded data) aside from the
    garbage collector before a latency is measured. A full collection of this process
    otherwise takes ~100 ms (pydantic's and SQLAlchemy's objects are many and slow to
    traverse) and lands on whichever requests are in flight: a pause of the client, not of
    the server measured. The services do the same at start-up."""
    gc.collect()
    gc.freeze()


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb(pid: int) -> float:
    """Current resident memory of a process, in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def as_json(figures: Sequence[Figure]) -> list[dict[str, object]]:
    return [asdict(figure) for figure in figures]


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """An HTTP/1.1 answer's status and body, parsing only the status line and Content-Length:
    the bench's raw clients spend next to no CPU, which on 2 cores is the server's."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)
