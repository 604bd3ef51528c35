"""The asyncpg connection under a session's transaction, for statements on hot paths.

A statement through SQLAlchemy costs several times the CPU of the query itself (building the
statement, its cache key, the ORM's result and unit-of-work machinery); on the paths every
text takes (storing it and its reply, ingest-sms's reads of the sender and the store) that
was most of a text's CPU. Those statements are plain SQL sent straight to asyncpg, on the
session's own connection and inside its transaction, so they see, and are rolled back with,
everything the session does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.util import await_

_DRIVER = "recon_driver_connection"


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


def driver_of(session: Session) -> asyncpg.Connection[Any]:
    """`driver` for sync code running inside SQLAlchemy's greenlet (a session event hook)."""
    raw = session.connection().connection
    adapted: Any = raw.dbapi_connection
    if adapted._transaction is None:
        await_(adapted._start_transaction())
    found: asyncpg.Connection[Any] = raw.driver_connection
    return found


def parameters(first: int, count: int) -> str:
    """`$first, …`: `count` statement parameters numbered from `first`."""
    return ", ".join(f"${n}" for n in range(first, first + count))


def insert_sql(table: str, columns: Sequence[str], first: int = 1) -> str:
    """A plain one-row INSERT, its values parameters numbered from `first` (a statement may
    run it beside others, as a WITH query, with parameters of its own before it)."""
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({parameters(first, len(columns))})"


@contextmanager
def refused_values(statement: str) -> Iterator[None]:
    """A value Postgres refuses (a data exception, SQLSTATE class 22: a NUL in a text, a number
    out of range) raised as SQLAlchemy raises it, so the services' handlers answer a request
    whose values a plain statement refused exactly as when the ORM's statement refused them."""
    try:
        yield
    except asyncpg.DataError as exc:
        raise sa_exc.DataError(statement, None, exc) from exc
