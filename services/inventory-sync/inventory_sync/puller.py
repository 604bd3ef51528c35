"""Pulling the inventory feeds stores configure (`stores.inventory_feed_url`), each on its own
interval, as dealers' inventory feeds work.

Any number of inventory-sync copies may run: a copy claims a due feed by moving its
`inventory_feed_next_at` forward in one statement (`FOR UPDATE SKIP LOCKED`), so each feed is
fetched once per interval. A failed fetch is retried with backoff, then recorded in the sync
history; it never removes a car. A pulled feed is the whole inventory (`full`) unless a JSON
feed says otherwise.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inventory_sync.feeds import FeedError, choose_mode, read_capped, sniff_feed
from inventory_sync.flows import apply_feed
from inventory_sync.history import record_run
from recon.db.session import unit_of_work
from recon.domain.inventory import SyncMode
from recon.service.app import Worker
from recon.service.state import ServiceState

log = logging.getLogger(__name__)

PULL_ACTOR = "inventory feed"

_CLAIM_DUE_FEED = text(
    """
    UPDATE stores
    SET inventory_feed_next_at =
        now() + make_interval(mins => greatest(inventory_feed_interval_minutes, 1))
    WHERE id = (
        SELECT id FROM stores
        WHERE inventory_feed_url IS NOT NULL
          AND (inventory_feed_next_at IS NULL OR inventory_feed_next_at <= now())
        ORDER BY inventory_feed_next_at NULLS FIRST
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id, slug, inventory_feed_url
    """
)


@dataclass(frozen=True)
class PullSettings:
    poll_seconds: float = 30.0  # how often a copy looks for due feeds
    retry_delays: tuple[float, ...] = (2.0, 10.0, 30.0)  # waits between attempts of one fetch
    timeout_seconds: float = 60.0


@dataclass(frozen=True, slots=True)
class DueFeed:
    store_id: uuid.UUID
    slug: str
    url: str


class FetchFailed(Exception):
    pass


def feed_puller(config: PullSettings) -> Worker:
    async def pull_inventory_feeds(state: ServiceState) -> None:
        async with httpx.AsyncClient(
            timeout=config.timeout_seconds,
            follow_redirects=True,
            headers={"User-Agent": "recon-inventory-sync"},
        ) as client:
            while True:
                try:
                    await pull_due_feeds(state.sessions, client, config)
                except Exception:  # a database outage: try again next round
                    log.exception("looking for due inventory feeds failed")
                await asyncio.sleep(config.poll_seconds)

    return pull_inventory_feeds


async def pull_due_feeds(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, config: PullSettings
) -> int:
    """Pull every feed that is due and not claimed by another copy; how many were pulled."""
    pulled = 0
    while (due := await claim_due_feed(sessions)) is not None:
        await pull_feed(sessions, client, due, config)
        pulled += 1
    return pulled


async def claim_due_feed(sessions: async_sessionmaker[AsyncSession]) -> DueFeed | None:
    async with unit_of_work(sessions) as session:
        row = (await session.execute(_CLAIM_DUE_FEED)).first()
    return (
        None if row is None else DueFeed(store_id=row.id, slug=row.slug, url=row.inventory_feed_url)
    )


async def pull_feed(
    sessions: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    due: DueFeed,
    config: PullSettings,
) -> None:
    started_at = datetime.now(UTC)
    try:
        body, content_type = await fetch_feed(client, due.url, retry_delays=config.retry_delays)
        feed = sniff_feed(body, content_type)
        if not feed.rows:
            raise FeedError("the feed lists no vehicles; nothing was changed")
        mode = choose_mode(feed, None, default=SyncMode.FULL)
        async with unit_of_work(sessions) as session:
            result = await apply_feed(
                session,
                store_id=due.store_id,
                feed=feed,
                mode=mode,
                source="pull",
                actor_name=PULL_ACTOR,
                started_at=started_at,
            )
        log.info("pulled the inventory feed of %s: %s", due.slug, result)
    except (FetchFailed, FeedError) as exc:
        log.warning("the inventory feed of %s failed: %s", due.slug, exc)
        await _record_failure(sessions, due, started_at, str(exc))
    except Exception as exc:  # a bug or an outage must not stop the other stores' feeds
        log.exception("pulling the inventory feed of %s failed", due.slug)
        await _record_failure(sessions, due, started_at, f"internal error: {exc}")


async def fetch_feed(
    client: httpx.AsyncClient, url: str, *, retry_delays: tuple[float, ...]
) -> tuple[bytes, str | None]:
    """The feed's body and content type; each failed attempt waits longer before the next."""
    problem = ""
    for attempt in range(len(retry_delays) + 1):
        if attempt:
            await asyncio.sleep(retry_delays[attempt - 1])
        try:
            async with client.stream("GET", url) as response:
                response.raise_for_status()
                body = await read_capped(response.aiter_bytes())
                return body, response.headers.get("content-type")
        except httpx.HTTPStatusError as exc:
            problem = f"answered {exc.response.status_code} {exc.response.reason_phrase}"
        except httpx.HTTPError as exc:
            problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    raise FetchFailed(f"GET {url} failed {len(retry_delays) + 1} times; last: {problem}")


async def _record_failure(
    sessions: async_sessionmaker[AsyncSession], due: DueFeed, started_at: datetime, error: str
) -> None:
    try:
        async with unit_of_work(sessions) as session:
            record_run(
                session,
                store_id=due.store_id,
                source="pull",
                mode=SyncMode.FULL,
                started_at=started_at,
                error=error,
            )
    except Exception:
        log.exception("could not record the failed pull of %s", due.slug)
