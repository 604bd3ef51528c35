"""Test set-up: real Postgres and NATS, started once per test session (embedded unless
DATABASE_URL / NATS_URL are set), migrated once; each test isolated by its own store."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from recon.db.migrate import upgrade
from recon.db.session import create_engine, create_sessionmaker
from recon.devstack.servers import EmbeddedNats, EmbeddedPostgres
from recon.settings import Settings, sqlalchemy_url

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
    workdir = ROOT / ".local" / f"test-{os.getpid()}"
    postgres = None
    nats = None
    try:
        if os.environ.get("DATABASE_URL"):
            database_url = sqlalchemy_url(os.environ["DATABASE_URL"])
        else:
            postgres = EmbeddedPostgres(workdir / "postgres", durable=False).start()
            database_url = postgres.url()
        if os.environ.get("NATS_URL"):
            nats_url = os.environ["NATS_URL"]
        else:
            nats = EmbeddedNats(workdir / "nats").start()
            nats_url = nats.url
        upgrade(database_url)
        yield TestServers(database_url=database_url, nats_url=nats_url, postgres=postgres)
    finally:
        if nats is not None:
            nats.stop()
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


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
