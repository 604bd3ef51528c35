"""The inventory-sync app: `uvicorn --factory inventory_sync.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from inventory_sync.endpoints import router
from inventory_sync.puller import PullSettings, feed_puller
from recon.service.app import create_service_app
from recon.settings import Settings


def create_app(settings: Settings | None = None, *, pull: PullSettings | None = None) -> FastAPI:
    return create_service_app(
        "inventory-sync",
        title="Recon inventory sync",
        description="DMS inventory feeds (JSON and CSV) onto the board: pushed, or pulled "
        "from a feed URL on an interval.",
        routers=[router],
        workers=[feed_puller(pull or PullSettings())],
        settings=settings,
    )
