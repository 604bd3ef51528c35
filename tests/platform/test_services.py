"""Every service starts with its connections, and answers health, readiness and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

import recon.service.app as service_app
from recon.devstack.servers import EmbeddedNats
from recon.settings import Settings

SERVICE_APPS = ["board_api.main", "ingest_sms.main", "inventory_sync.main", "notifier.main"]


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@pytest.mark.parametrize("module", SERVICE_APPS)
async def test_service_is_healthy_ready_and_measured(module: str, settings: Settings) -> None:
    app = importlib.import_module(module).create_app(settings)
    async with serving(app) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"postgres": True, "nats": True}
        metrics = await client.get("/metrics")
        assert metrics.status_code == 200
        assert "recon_http_request_seconds" in metrics.text
        # What start-up built is out of the garbage collector's sight (no 100 ms full passes).
        assert gc.get_freeze_count() > 0


async def test_readyz_is_503_when_nats_goes_away(settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    nats = EmbeddedNats(tmp_path / "nats").start()
    app = importlib.import_module("board_api.main").create_app(
        settings.model_copy(update={"nats_url": nats.url})
    )
    try:
        async with serving(app) as client:
            assert (await client.get("/readyz")).status_code == 200
            nats.stop()
            response = await client.get("/readyz")
            assert response.status_code == 503
            assert response.json()["checks"]["nats"] is False
    finally:
        nats.stop()


async def test_a_worker_that_will_not_stop_does_not_hold_up_shutdown(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(service_app, "STOP_SECONDS", 0.2)
    released = asyncio.Event()

    async def stubborn(state: object) -> None:
        while not released.is_set():
            with contextlib.suppress(asyncio.CancelledError):  # swallows every cancel
                await asyncio.sleep(3600)

    app = service_app.create_service_app(
        "stubborn", title="t", description="d", relay=False, workers=[stubborn], settings=settings
    )
    async with asyncio.timeout(10):  # without the bound, the app's shutdown waits for ever
        async with serving(app):
            await asyncio.sleep(0.1)  # the worker has started
    assert "stubborn-stubborn did not stop within 0.2 s" in caplog.text
    assert "in stubborn" in caplog.text  # where it was stuck
    released.set()
    left = [task for task in asyncio.all_tasks() if task.get_name() == "stubborn-stubborn"]
    for task in left:
        task.cancel()
    await asyncio.gather(*left)
