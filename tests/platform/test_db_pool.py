"""The connection pool hands out live connections: one the server closed is replaced."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy import text

from recon.db.session import create_engine, create_sessionmaker
from recon.settings import Settings


class TestPooledConnection:
    async def test_one_the_server_closed_is_replaced_before_use(self, settings: Settings) -> None:
        engine = create_engine(settings.database_url, pool_size=1)
        sessions = create_sessionmaker(engine)
        backend_pid = text("SELECT pg_backend_pid()")
        try:
            async with sessions() as session:
                first = (await session.execute(backend_pid)).scalar_one()
            admin = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
            try:
                assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)
            finally:
                await admin.close()
            # The event loop reads the server's goodbye on the idle pooled connection.
            await asyncio.sleep(0.2)
            async with sessions() as session:
                assert (await session.execute(backend_pid)).scalar_one() != first
        finally:
            await engine.dispose()
