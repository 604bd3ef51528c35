"""Test set-up: real Postgres and NATS, started once per test session (embedded unless
DATABASE_URL / NATS_URL are set), migrated once; each test isolated by its own store."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from recon.db.session import create_engine, create_sessionmaker
from recon.devstack.servers import EmbeddedPostgres, throwaway_servers
from recon.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
ADMIN_TOKEN = "test-admin-token-" + "x" * 16


@dataclass
class TestServers:
    __test__ = False  # a fixture's value, not a test class

    database_url: str
    nats_url: str
    postgres: EmbeddedPostgres | None

    def settings(self, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "DATABASE_URL": self.database_url,
            "NATS_URL": self.nats_url,
            "RECON_ADMIN_TOKEN": ADMIN_TOKEN,
            "RECON_ENV": "test",
            "RECON_OUTBOX_POLL_SECONDS": 0.5,
        }
        values.update(overrides)
        return Settings.model_validate(values)

    def fresh_database_url(self) -> str:
        """An empty database of its own (for migration tests)."""
        name = f"empty_{uuid.uuid4().hex[:10]}"
        if self.postgres is not None:
            return self.postgres.create_database(name)
        pytest.skip("needs the embedded Postgres to create databases")


@pytest.fixture(scope="session")
def servers() -> Iterator[TestServers]:
    with throwaway_servers(ROOT / ".local" / f"test-{os.getpid()}") as local:
        yield TestServers(
            database_url=local.database_url, nats_url=local.nats_url, postgres=local.postgres
        )


@pytest.fixture(scope="session")
def settings(servers: TestServers) -> Settings:
    return servers.settings()


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.database_url, pool_size=10)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)
