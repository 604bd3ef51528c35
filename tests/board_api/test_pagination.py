"""Cursor pagination: rows inserted while a client pages are never repeated and never make it
skip a row that was already there."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon.domain import units
from recon.events.types import VehicleFields
from tests.board_api.helpers import ADMIN, new_store, store_row
from tests.factories import INVENTORY_CAUSE, make_unit, random_vin


async def test_units_pagination_under_concurrent_inserts_neither_skips_nor_repeats(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    store = await new_store(client)
    row = await store_row(sessions, store)
    # A writer whose transaction starts now but writes later: its unit's creation time is
    # older than every unit below, so it lands on pages the client has already read.
    slow = sessions()
    await slow.begin()
    await slow.execute(text("SELECT now()"))
    existing = {
        str((await make_unit(sessions, row, stock_number=f"P{i:03d}")).id) for i in range(40)
    }

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, object] = {"limit": 6}
        if cursor:
            params["cursor"] = cursor
        page = await client.get(f"{store.url}/units", params=params, headers=ADMIN)
        assert page.status_code == 200, page.text
        seen += [u["id"] for u in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        pages += 1
        if pages == 2:
            await units.create_unit(
                slow,
                store_id=row.id,
                vehicle=VehicleFields(vin=random_vin(), stock_number="SLOW"),
                cause=INVENTORY_CAUSE,
            )
            await slow.commit()
            await slow.close()
        # Other writers keep adding cars while the client pages.
        await make_unit(sessions, row, stock_number=f"N{pages:03d}")
        if cursor is None:
            break

    assert len(seen) == len(set(seen)), "a unit was listed twice"
    assert existing <= set(seen), "a unit that was there before paging began was skipped"


async def test_limits_and_cursors_are_checked(client: httpx.AsyncClient) -> None:
    store = await new_store(client)
    for params in (
        {"limit": 0},
        {"limit": 1001},
        {"cursor": "bm90IGEgY3Vyc29y"},
        {"cursor": "%%%"},
    ):
        for path in ("/units", "/messages", "/events", "/staff"):
            response = await client.get(store.url + path, params=params, headers=ADMIN)
            assert response.status_code == 422, (path, params, response.text)
            assert response.json()["detail"]
