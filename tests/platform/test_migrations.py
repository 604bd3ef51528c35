"""The migrations build the schema on an empty database and take it down again."""

import asyncio

import asyncpg

from recon.db.migrate import downgrade, upgrade
from recon.settings import Settings
from tests.conftest import TestServers


async def _tables(url: str) -> set[str]:
    connection = await asyncpg.connect(
        Settings.model_validate(
            {"DATABASE_URL": url, "NATS_URL": "nats://x", "RECON_ADMIN_TOKEN": "x" * 16}
        ).asyncpg_dsn
    )
    try:
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await connection.close()
    return {row["tablename"] for row in rows}


def tables(url: str) -> set[str]:
    return asyncio.run(_tables(url))


# Synchronous on purpose: Alembic's environment runs its own event loop.
def test_upgrade_and_downgrade_an_empty_database(servers: TestServers) -> None:
    url = servers.fresh_database_url()
    upgrade(url)
    tables_after_upgrade = tables(url)
    assert {
        "stores",
        "staff",
        "api_tokens",
        "units",
        "work_items",
        "notes",
        "we_owe_items",
        "acks",
        "unit_events",
        "messages",
        "outbox",
        "inventory_syncs",
        "notifications",
    } <= tables_after_upgrade
    downgrade(url)
    assert tables(url) == {"alembic_version"}
    upgrade(url)
    assert "units" in tables(url)
