"""The async engine and the unit-of-work session: one owner commits, domain code only flushes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def create_engine(database_url: str, *, pool_size: int = 10) -> AsyncEngine:
    engine = create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        # JSONB values are written by pydantic-aware code; plain json keeps asyncpg fast.
        connect_args={"server_settings": {"application_name": "recon"}},
    )
    event.listen(engine.sync_engine, "checkout", _refuse_closed)
    return engine


def _refuse_closed(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """A pooled connection the server closed (a restart, a terminated backend) is replaced
    before use: the pool retries the checkout with a fresh one.

    Instead of `pool_pre_ping`, whose ping is three round trips (BEGIN, `;`, ROLLBACK) on
    every checkout: an idle pooled connection's socket is watched by the
    event loop, so asyncpg knows it was closed without asking the server. A connection that
    dies unnoticed (a network cut with no FIN) fails its first statement instead, and
    SQLAlchemy then throws away the pool's other connections of that age.
    """
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


async def create_read_pool(dsn: str, *, max_size: int = 10) -> asyncpg.Pool:
    """Plain asyncpg connections for hot reads, JSON columns decoded as the ORM decodes them."""

    async def decode_json(connection: asyncpg.Connection) -> None:
        for name in ("json", "jsonb"):
            await connection.set_type_codec(
                name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
            )

    async def keep_session(connection: asyncpg.Connection) -> None:
        """Nothing: these connections only read, so asyncpg's default reset (a round trip
        of RESET ALL, UNLISTEN, CLOSE ALL on every release) has nothing to undo. An open
        transaction is still rolled back by the pool first."""

    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn,
        # Opened on first use: of the services only board-api reads through this pool.
        min_size=0,
        max_size=max_size,
        init=decode_json,
        reset=keep_session,
        server_settings={"application_name": "recon"},
    )
    return pool


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose transaction commits when the block succeeds and rolls back otherwise."""
    async with sessions() as session, session.begin():
        yield session
