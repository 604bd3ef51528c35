"""The per-process resources a service's lifespan opens and its handlers use."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from recon.settings import Settings


@dataclass
class ServiceState:
    name: str
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # Plain asyncpg for the hottest single-statement reads: no ORM, no transaction and no
    # pre-ping round trips (a connection Postgres dropped fails once and is replaced).
    reads: asyncpg.Pool
    nats: NATS
    js: JetStreamContext
