"""The notifier under test: its app (consumer, sender, checks) against real Postgres and NATS,
texting through the real Twilio client into the fake Twilio server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from nats.js.errors import NotFoundError
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.main import create_app
from recon.db.models import ConsumedEvent, Notification, Store, UnitEvent
from recon.db.session import create_engine
from recon.events import STREAM_NAME
from recon.settings import Settings
from tests.eventing import running_relay
from tests.factories import make_store
from tests.fake_twilio import FakeTwilio

# Small windows so the tests are quick; production defaults are in the README.
FAST = {
    "notify_batch_seconds": 0.2,
    "notify_rate_per_second": 0.0,
    "notify_poll_seconds": 0.05,
    "notify_check_seconds": 3600.0,  # tests run the periodic checks themselves
    "notify_retry_base_seconds": 0.05,
    "notify_retry_max_seconds": 0.2,
    "notify_send_lease_seconds": 2.5,
    "twilio_timeout_seconds": 1.0,
}


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def notifier_settings(settings: Settings, fake_twilio: FakeTwilio) -> Settings:
    return configured(settings, fake_twilio)


def configured(settings: Settings, fake: FakeTwilio, **overrides: Any) -> Settings:
    """Test settings pointing at `fake`, with their own durable consumer."""
    return settings.model_copy(
        update={
            **fake.settings_overrides(),
            **FAST,
            "notifier_consumer": f"notifier-test-{uuid.uuid4().hex[:8]}",
            **overrides,
        }
    )


@asynccontextmanager
async def running_notifier(settings: Settings) -> AsyncIterator[None]:
    """The notifier app with its lifespan (relay, consumer, sender), once its consumer exists.

    What the test set up before is published first, so only what happens inside the block
    reaches the notifier (as if the notifier had been running all along and it texted nobody).
    """
    await drain_outbox(settings)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        js = app.state.recon.js
        for _ in range(200):
            try:
                await js.consumer_info(STREAM_NAME, settings.notifier_consumer)
                break
            except NotFoundError:
                await asyncio.sleep(0.02)
        yield


async def quiet_free_store(sessions: async_sessionmaker[AsyncSession], **fields: Any) -> Store:
    """A store with no quiet hours, so tests run the same at any time of day."""
    return await make_store(sessions, quiet_hours_start=None, quiet_hours_end=None, **fields)


async def wait_until(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await condition()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.03)


async def latest_event_id(
    sessions: async_sessionmaker[AsyncSession], unit_id: uuid.UUID
) -> uuid.UUID:
    async with sessions() as session:
        event_id = await session.scalar(
            select(UnitEvent.id)
            .where(UnitEvent.unit_id == unit_id)
            .order_by(UnitEvent.seq.desc())
            .limit(1)
        )
    assert event_id is not None
    return event_id


async def settled(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, event_id: uuid.UUID
) -> list[Notification]:
    """The event's notifications once the notifier handled it and every text is finished."""
    await consumed(sessions, settings, event_id)
    return await finished(sessions, event_id)


async def consumed(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, event_id: uuid.UUID
) -> list[Notification]:
    """The event's notifications (maybe none) once the notifier has handled it."""

    async def handled() -> bool:
        async with sessions() as session:
            return (
                await session.scalar(
                    select(ConsumedEvent.event_id).where(
                        ConsumedEvent.consumer == settings.notifier_consumer,
                        ConsumedEvent.event_id == event_id,
                    )
                )
            ) is not None

    await wait_until(handled)
    return await notifications_of(sessions, event_id)


async def notifications_of(
    sessions: async_sessionmaker[AsyncSession], event_id: uuid.UUID
) -> list[Notification]:
    async with sessions() as session:
        query = select(Notification).where(Notification.event_id == event_id)
        return list((await session.scalars(query)).all())


async def finished(
    sessions: async_sessionmaker[AsyncSession], event_id: uuid.UUID
) -> list[Notification]:
    """The event's notifications once every one of them is sent, failed or skipped."""

    async def done() -> list[Notification] | None:
        found = await notifications_of(sessions, event_id)
        return found if all(row.status in ("sent", "failed", "skipped") for row in found) else None

    result: list[Notification] = await wait_until(done)
    return result


async def drain_outbox(settings: Settings) -> None:
    async with running_relay(settings.asyncpg_dsn, settings.nats_url):
        engine = create_engine(settings.database_url, pool_size=1)
        try:

            async def empty() -> bool:
                async with engine.connect() as connection:
                    return not await connection.scalar(text("SELECT count(*) FROM outbox"))

            await wait_until(empty)
        finally:
            await engine.dispose()
