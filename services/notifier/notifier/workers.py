"""The notifier's long-running tasks: the event consumer, the sender, and the two periodic
checks (stage targets, the morning digest). Each is safe to run in several copies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.digest import queue_due_digests
from notifier.overdue import queue_overdue
from notifier.routing import ROUTED_TYPES, route_event
from notifier.sender import Sender
from recon.db.session import unit_of_work
from recon.events import CloudEvent, subject_for
from recon.messaging.consumers import first_delivery, run_durable_consumer
from recon.service.state import ServiceState
from recon.settings import Settings
from recon.sms import create_provider

log = logging.getLogger(__name__)

Check = Callable[..., Awaitable[int]]


async def handle_event(
    sessions: async_sessionmaker[AsyncSession], event: CloudEvent, *, settings: Settings
) -> int:
    """Queue the texts an event calls for, once, however often it is delivered."""
    if event.short_type not in ROUTED_TYPES:
        return 0
    async with unit_of_work(sessions) as session:
        if not await first_delivery(session, consumer=settings.notifier_consumer, event=event):
            return 0
        return await route_event(session, event, settings=settings, now=datetime.now(UTC))


async def consume_events(state: ServiceState) -> None:
    async def handle(event: CloudEvent) -> None:
        await handle_event(state.sessions, event, settings=state.settings)

    await run_durable_consumer(
        state.js,
        durable=state.settings.notifier_consumer,
        handler=handle,
        subjects=[subject_for("*", short_type) for short_type in sorted(ROUTED_TYPES)],
    )


async def send_texts(state: ServiceState) -> None:
    provider = create_provider(state.settings)
    try:
        await Sender(state.sessions, provider, state.settings).run()
    finally:
        await provider.aclose()


async def run_check(
    sessions: async_sessionmaker[AsyncSession], check: Check, *, settings: Settings
) -> int:
    async with unit_of_work(sessions) as session:
        return await check(session, now=datetime.now(UTC), settings=settings)


async def _every(state: ServiceState, check: Check) -> None:
    while True:
        try:
            await run_check(state.sessions, check, settings=state.settings)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("notifier check %s failed", check.__name__)
        await asyncio.sleep(state.settings.notify_check_seconds)


async def check_overdue(state: ServiceState) -> None:
    await _every(state, queue_overdue)


async def send_digests(state: ServiceState) -> None:
    await _every(state, queue_due_digests)


WORKERS = (consume_events, send_texts, check_overdue, send_digests)
