"""The outbox relay: publishes committed events from the `outbox` table to JetStream.

Every writer service runs one. Only the copy holding a Postgres advisory lock publishes (the
others stand by), so events leave in outbox order and per-unit order holds. A row is deleted
only after JetStream acknowledged it (with the next read, to save a round trip per batch);
`Nats-Msg-Id` = event id lets JetStream drop the re-publish that follows a crash between ack
and delete.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from nats.js import JetStreamContext
from prometheus_client import Counter, Gauge

from recon.messaging.publishing import BatchPublisher, Outgoing

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "recon_outbox"
# Any fixed 64-bit key, the same in every copy of every service.
RELAY_LOCK_KEY = 0x5245434F4E  # "RECON"

PUBLISHED = Counter("recon_outbox_published_total", "Events published from the outbox")
PUBLISH_FAILURES = Counter("recon_outbox_publish_failures_total", "Failed outbox publishes")
ACTIVE = Gauge("recon_outbox_relay_active", "1 while this copy is the publishing relay")


@dataclass
class OutboxRelay:
    dsn: str
    js: JetStreamContext
    batch_size: int = 500
    poll_seconds: float = 2.0
    standby_seconds: float = 1.0
    publish_timeout: float = 5.0
    max_backoff: float = 5.0
    linger_seconds: float = 0.05
    # Rows deleted between the relay's own VACUUMs of the outbox (see `_tidy`).
    vacuum_every: int = 20_000
    active: bool = False
    _deleted: int = 0
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _publisher: BatchPublisher | None = None

    async def run(self) -> None:
        """Relay until cancelled; any failure (Postgres or NATS down) is retried with backoff."""
        backoff = 0.1
        while True:
            try:
                connection = await asyncpg.connect(self.dsn)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("outbox relay cannot reach Postgres: %s", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            try:
                await self._relay(connection)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                PUBLISH_FAILURES.inc()
                log.warning("outbox relay paused (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
            else:
                backoff = 0.1
            finally:
                self._set_active(False)
                with contextlib.suppress(Exception):
                    await asyncio.shield(connection.close(timeout=2))

    def _set_active(self, active: bool) -> None:
        self.active = active
        ACTIVE.set(1 if active else 0)

    async def _relay(self, connection: asyncpg.Connection) -> None:
        while not await connection.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK_KEY):
            await asyncio.sleep(self.standby_seconds)
        self._set_active(True)
        await connection.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
        # Rows JetStream acknowledged and not yet deleted: deleted by the next read (one round
        # trip for both), or after `linger_seconds` when no new commit wakes the relay first.
        acked: list[int] = []
        try:
            while True:
                self._wake.clear()
                rows = await self._read(connection, deleting=acked)
                # Deleted by that read: if publishing now fails, the `finally` below must
                # not delete them again.
                acked = []
                acked = await self._publish(connection, rows)
                await self._tidy(connection)
                if len(rows) == self.batch_size:
                    continue
                if acked and not await self._woken_within(self.linger_seconds):
                    await self._delete(connection, acked)
                    acked = []
                if not acked:
                    await self._woken_within(self.poll_seconds)
        finally:
            if acked:  # leaving (cancelled, or lost Postgres): tidy up if it still can, briefly
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(2):
                        await self._delete(connection, acked)

    async def _woken_within(self, seconds: float) -> bool:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel that
        # lands as the wake-up fires, and the relay would then outlive its app.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        return self._wake.is_set()

    async def _tidy(self, connection: asyncpg.Connection) -> None:
        """VACUUM the outbox every `vacuum_every` rows deleted. Every event passes through it,
        so its deleted rows pile up far faster than autovacuum (a pass a minute at most)
        clears them, and each read walks their dead index entries before the live rows (at
        300 texts/s, ~50,000 a minute). A VACUUM of a table this small takes milliseconds.
        A role that does not own the table gets a warning from Postgres and no VACUUM:
        autovacuum alone keeps it then."""
        if self._deleted < self.vacuum_every:
            return
        self._deleted = 0
        try:
            # SKIP_LOCKED: never wait behind another VACUUM, an ANALYZE or an index build
            # (events would stop leaving meanwhile); the next round tries again.
            await connection.execute("VACUUM (SKIP_LOCKED) outbox")
        except asyncpg.PostgresError as exc:  # e.g. a statement_timeout: publishing goes on
            log.warning("outbox VACUUM failed: %s", exc)

    async def _read(self, connection: asyncpg.Connection, *, deleting: list[int]) -> list[Any]:
        """Delete `deleting` (acknowledged rows) and read the oldest of the other rows."""
        self._deleted += len(deleting)
        # The SELECT sees the table as it was before the DELETE beside it, hence the filter.
        return await connection.fetch(
            """
            WITH acked AS (DELETE FROM outbox WHERE id = ANY($2::bigint[]))
            SELECT id, event_id, subject, payload::text AS payload FROM outbox
            WHERE id <> ALL($2::bigint[]) ORDER BY id LIMIT $1
            """,
            self.batch_size,
            deleting,
        )

    async def _delete(self, connection: asyncpg.Connection, acked: list[int]) -> None:
        if acked:
            self._deleted += len(acked)
            await connection.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", acked)

    async def _publish(self, connection: asyncpg.Connection, rows: list[Any]) -> list[int]:
        """Publish `rows`; returns the ids JetStream acknowledged (all of them, or it raises
        after deleting those it did).

        Publishes are pipelined on one connection, so they reach the stream in outbox order.
        """
        if not rows:
            return []
        if self._publisher is None:
            # nats-py gives the JetStream context's connection no public name.
            self._publisher = BatchPublisher(self.js._nc)
        stored = await self._publisher.publish(
            [
                Outgoing(row["subject"], row["payload"].encode(), str(row["event_id"]))
                for row in rows
            ],
            timeout=self.publish_timeout,
        )
        acked = [row["id"] for row, ok in zip(rows, stored, strict=True) if ok]
        PUBLISHED.inc(len(acked))
        if len(acked) < len(rows):
            await self._delete(connection, acked)
            raise ConnectionError(f"JetStream acknowledged {len(acked)} of {len(rows)} events")
        return acked
