"""The ingest-sms app: `uvicorn --factory ingest_sms.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware import Middleware

from ingest_sms.deps import ingest_of
from ingest_sms.fast_path import SmsWebhookFastPath
from ingest_sms.webhooks import router
from recon.service.app import create_service_app
from recon.service.state import ServiceState
from recon.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    async def apply_held_texts(state: ServiceState) -> None:
        await ingest_of(app).apply_held_texts()

    app = create_service_app(
        "ingest-sms",
        title="Recon SMS ingest",
        description="The SMS provider's webhooks: staff texts in, delivery statuses.",
        routers=[router],
        workers=[apply_held_texts],
        middleware=[Middleware(SmsWebhookFastPath)],
        settings=settings,
    )
    return app
