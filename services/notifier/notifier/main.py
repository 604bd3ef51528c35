"""The notifier app: `uvicorn --factory notifier.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from notifier.workers import WORKERS
from recon.service.app import create_service_app
from recon.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        "notifier",
        title="Recon notifier",
        description="Texts the next person in line and sends the morning standup.",
        workers=WORKERS,
        settings=settings,
    )
