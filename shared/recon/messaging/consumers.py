"""Consuming events from the RECON stream.

Two forms:
- `run_durable_consumer`: a named, durable pull consumer shared by every copy of a service
  (each event handled by one copy), explicit ack, bounded redelivery. Handlers make
  themselves idempotent with `first_delivery`, recorded in the handler's own transaction.
- `subscribe_fanout`: an ephemeral ordered consumer per process, so every copy sees every
  event (what board-api's live streams need).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from prometheus_client import Counter
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from recon.db.models import ConsumedEvent, Store
from recon.events import STREAM_NAME, CloudEvent

log = logging.getLogger(__name__)

Handler = Callable[[CloudEvent], Awaitable[None]]

HANDLED = Counter("recon_events_handled_total", "Events handled", ["consumer", "outcome"])


def decode(msg: Msg) -> CloudEvent | None:
    try:
        return CloudEvent.model_validate_json(msg.data)
    except ValidationError:
        log.error("dropping a message on %s that is not a Recon event", msg.subject)
        return None


async def first_delivery(session: AsyncSession, *, consumer: str, event: CloudEvent) -> bool:
    """Record that `consumer` handled `event`; False when it already had (a redelivery).

    Call it inside the transaction that applies the handler's effects, so both land or neither.
    """
    store_id = select(Store.id).where(Store.slug == event.store).scalar_subquery()
    statement = (
        insert(ConsumedEvent)
        .values(consumer=consumer, event_id=event.id, store_id=store_id)
        .on_conflict_do_nothing()
        .returning(ConsumedEvent.event_id)
    )
    return (await session.execute(statement)).first() is not None


async def run_durable_consumer(
    js: JetStreamContext,
    *,
    durable: str,
    handler: Handler,
    subjects: Sequence[str] = ("recon.>",),
    max_deliver: int = 5,
    ack_wait: float = 30.0,
    batch: int = 100,
) -> None:
    """Handle events until cancelled. A handler that raises gets the event again later, up to
    `max_deliver` times in all; after that the event is logged and dropped.

    Only events on `subjects` reach the consumer: JetStream skips the others itself, which
    costs neither side a delivery and an ack (the notifier wants a few types of many).
    """
    # Create or update: a consumer made by an earlier version takes the current subjects.
    # Its configuration is this code's (a setting changed by hand on the server, such as
    # max_ack_pending, goes back to the default on the next start).
    await js.add_consumer(
        STREAM_NAME,
        ConsumerConfig(
            name=durable,
            durable_name=durable,
            filter_subjects=list(subjects),
            ack_policy=AckPolicy.EXPLICIT,
            max_deliver=max_deliver,
            ack_wait=ack_wait,
            deliver_policy=DeliverPolicy.NEW,
        ),
    )
    subscription = await js.pull_subscribe_bind(durable=durable, stream=STREAM_NAME)
    try:
        while True:
            if _cancel_requested():
                # Python 3.11's wait_for (inside fetch) can swallow a cancellation that lands
                # as the fetch times out: without this the loop fetches on and shutdown hangs.
                raise asyncio.CancelledError
            try:
                messages = await subscription.fetch(batch, timeout=1.0)
            except TimeoutError:
                continue
            except Exception as exc:  # NATS restarting: keep trying
                log.warning("consumer %s fetch failed: %s", durable, exc)
                await asyncio.sleep(0.5)
                continue
            for msg in messages:
                await _handle(msg, durable=durable, handler=handler, max_deliver=max_deliver)
    finally:
        # A fetch cut short leaves its inbox waiting for an answer, which would hold the
        # connection's drain at shutdown for its whole timeout. The durable consumer stays.
        with contextlib.suppress(Exception):
            await subscription.unsubscribe()


def _cancel_requested() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def _handle(msg: Msg, *, durable: str, handler: Handler, max_deliver: int) -> None:
    event = decode(msg)
    if event is None:
        await msg.term()
        return
    try:
        await handler(event)
    except Exception:
        attempt = msg.metadata.num_delivered
        if attempt >= max_deliver:
            log.exception(
                "consumer %s gives up on event %s after %d tries", durable, event.id, attempt
            )
            HANDLED.labels(durable, "dropped").inc()
            await msg.term()
        else:
            log.warning(
                "consumer %s failed on event %s (try %d)", durable, event.id, attempt, exc_info=True
            )
            HANDLED.labels(durable, "retried").inc()
            await msg.nak(delay=min(2.0**attempt, 30.0))
        return
    HANDLED.labels(durable, "ok").inc()
    await msg.ack()


async def subscribe_fanout(
    js: JetStreamContext, *, subject: str, handler: Handler
) -> Callable[[], Awaitable[None]]:
    """Deliver every new event on `subject` to this process; returns the unsubscribe function."""

    async def on_message(msg: Msg) -> None:
        event = decode(msg)
        if event is not None:
            try:
                await handler(event)
            except Exception:
                log.exception("fan-out handler failed on event %s", event.id)

    subscription = await js.subscribe(
        subject,
        stream=STREAM_NAME,
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.NEW,
        cb=on_message,
    )
    return subscription.unsubscribe
