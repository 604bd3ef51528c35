"""The board-api app: `uvicorn --factory board_api.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from board_api import metrics, notification_rules
from recon.service.app import create_service_app
from recon.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        "board-api",
        title="Recon Board API",
        description="Stores, staff, tokens, units and their actions, messages, events and the live stream.",
        routers=[metrics.router, notification_rules.router],
        settings=settings,
    )
