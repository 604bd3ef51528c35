"""The asyncpg connection under a session's transaction, for the webhook's own hot reads.

A text's fixed reads (the store and sender with their recent texts, the store's lock, what
changed since the cached unit index) are plain SQL sent straight to asyncpg: through
SQLAlchemy each cost several times the CPU of the query itself (building the statement, its
cache key, the result machinery), which showed as a large share of a text's CPU. They run on
the session's own connection, inside its transaction, so they see and are undone with
everything the session writes. Writes stay in the shared domain functions.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

_DRIVER = "ingest_sms_driver"


async def driver(session: AsyncSession) -> asyncpg.Connection[Any]:
    """The session's asyncpg connection, with the session's transaction begun on it (the
    SQLAlchemy adapter begins it lazily, at its first statement)."""
    transaction = session.sync_session.get_transaction()
    held: tuple[object, asyncpg.Connection[Any]] | None = session.info.get(_DRIVER)
    if held is not None and held[0] is transaction and transaction is not None:
        return held[1]
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    adapted: Any = raw.dbapi_connection
    if adapted._transaction is None:
        await adapted._start_transaction()
    found: asyncpg.Connection[Any] = raw.driver_connection
    session.info[_DRIVER] = (session.sync_session.get_transaction(), found)
    return found
