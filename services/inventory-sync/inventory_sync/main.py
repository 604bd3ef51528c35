"""The inventory-sync app: `uvicorn --factory inventory_sync.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from recon.service.app import create_service_app
from recon.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        "inventory-sync",
        title="Recon inventory sync",
        description="DMS inventory feeds (JSON and CSV) onto the board.",
        settings=settings,
    )
