"""The board-api app: `uvicorn --factory board_api.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware import Middleware

from board_api import metrics, notification_rules
from board_api.events.endpoints import router as events_router
from board_api.events.hub import StreamHub
from board_api.messages.endpoints import router as messages_router
from board_api.staff.endpoints import router as staff_router
from board_api.stores.endpoints import router as stores_router
from board_api.tokens.endpoints import router as tokens_router
from board_api.units.endpoints import router as units_router
from board_api.units.fast_path import UnitListFastPath
from board_api.web import router as web_router
from recon.service.app import create_service_app
from recon.settings import Settings

ROUTERS = (
    stores_router,
    tokens_router,
    staff_router,
    units_router,
    messages_router,
    events_router,
    metrics.router,
    notification_rules.router,
    web_router,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    hub = StreamHub()
    app = create_service_app(
        "board-api",
        title="Recon Board API",
        description="Stores, staff, tokens, units and their actions, messages, events and the live stream.",
        routers=ROUTERS,
        workers=[hub.run],
        middleware=[Middleware(UnitListFastPath)],
        settings=settings,
    )
    app.state.hub = hub
    return app
