"""Helpers to read what reached JetStream, for tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from nats.aio.client import Client as NATS
from nats.js.api import DeliverPolicy

from recon.events import STREAM_NAME, CloudEvent, store_subjects
from recon.messaging.jetstream import connect, ensure_stream
from recon.messaging.relay import OutboxRelay


async def stream_events(nc: NATS, store_slug: str, *, settle: float = 0.3) -> list[CloudEvent]:
    """Every event of the store in the stream, from the beginning, in stream order."""
    js = nc.jetstream()
    received: list[CloudEvent] = []
    subscription = await js.subscribe(
        store_subjects(store_slug),
        stream=STREAM_NAME,
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.ALL,
    )
    try:
        while True:
            try:
                msg = await subscription.next_msg(timeout=settle)
            except TimeoutError:
                return received
            received.append(CloudEvent.model_validate_json(msg.data))
    finally:
        await subscription.unsubscribe()


async def wait_for_events(
    nc: NATS, store_slug: str, count: int, *, timeout: float = 15
) -> list[CloudEvent]:
    """The store's events once at least `count` are in the stream (or whatever is there at timeout)."""
    deadline = asyncio.get_running_loop().time() + timeout
    events: list[CloudEvent] = []
    while asyncio.get_running_loop().time() < deadline:
        events = await stream_events(nc, store_slug, settle=0.2)
        if len(events) >= count:
            # Linger once more so a duplicate arriving late would be seen too.
            await asyncio.sleep(0.3)
            return await stream_events(nc, store_slug, settle=0.2)
        await asyncio.sleep(0.1)
    return events


@contextlib.asynccontextmanager
async def running_relay(dsn: str, nats_url: str, **options: float) -> AsyncIterator[OutboxRelay]:
    nc = await connect(nats_url, name="test-relay")
    await ensure_stream(nc.jetstream())
    options = {"poll_seconds": 0.5, "standby_seconds": 0.2, **options}
    relay = OutboxRelay(dsn=dsn, js=nc.jetstream(), **options)  # type: ignore[arg-type]
    task = asyncio.create_task(relay.run())
    try:
        yield relay
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await nc.close()
