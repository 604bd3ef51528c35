"""Running a Recon service as a real uvicorn subprocess for a benchmark."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from recon.devstack.run import SERVICES
from recon.devstack.servers import free_port
from recon.settings import Settings


@dataclass(frozen=True)
class RunningService:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def service_env(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "NATS_URL": settings.nats_url,
        "RECON_ADMIN_TOKEN": settings.admin_token.get_secret_value(),
        "RECON_LOG_LEVEL": "WARNING",
        **extra,
    }


@asynccontextmanager
async def running_service(
    name: str, settings: Settings, **extra_env: str
) -> AsyncIterator[RunningService]:
    app = next(spec.app for spec in SERVICES if spec.name == name)
    port = free_port()
    # Popen returns at once; the server runs on while we wait for it asynchronously below.
    process = subprocess.Popen(  # noqa: ASYNC220
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=service_env(settings, **extra_env),
        stdin=subprocess.DEVNULL,
    )
    service = RunningService(name, port, process)
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                try:
                    if (await client.get(f"{service.url}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}")
                await asyncio.sleep(0.1)
        yield service
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
