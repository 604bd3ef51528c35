"""Feeds as real exports sometimes are: NUL characters, UTF-16 text, impossible dates. Each is
applied or refused with a reason, never answered with a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from inventory_sync.main import create_app
from inventory_sync.puller import PullSettings
from recon.settings import Settings
from tests.conftest import ADMIN_TOKEN
from tests.factories import make_store
from tests.inventory.helpers import Sessions, units_by_vin, vehicle
from tests.platform.test_services import serving

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(settings, pull=PullSettings(poll_seconds=3600))) as client:
        yield client


async def test_nul_characters_in_json_are_dropped(
    client: httpx.AsyncClient, sessions: Sessions
) -> None:
    store = await make_store(sessions)
    car = vehicle(make="Ho\u0000nda")
    response = await client.post(
        f"/api/v1/stores/{store.slug}/inventory", json=[car], headers=ADMIN
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1
    assert (await units_by_vin(sessions, store))[car["vin"]].make == "Honda"


async def test_nul_characters_in_csv_are_dropped(
    client: httpx.AsyncClient, sessions: Sessions
) -> None:
    store = await make_store(sessions)
    car = vehicle()
    body = f"VIN,Stock,Make\n{car['vin']},{car['stock_number']},Ho\x00nda\n".encode()
    response = await client.post(
        f"/api/v1/stores/{store.slug}/inventory",
        content=body,
        headers={**ADMIN, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert (await units_by_vin(sessions, store))[car["vin"]].make == "Honda"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
async def test_a_utf16_csv_is_read(
    client: httpx.AsyncClient, sessions: Sessions, encoding: str
) -> None:
    store = await make_store(sessions)
    car = vehicle()
    text = f"VIN,Stock #,Make,Model\n{car['vin']},{car['stock_number']},Škoda,Octavia\n"
    response = await client.post(
        f"/api/v1/stores/{store.slug}/inventory",
        content=text.encode(encoding),
        headers={**ADMIN, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1, response.text
    assert (await units_by_vin(sessions, store))[car["vin"]].make == "Škoda"


@pytest.mark.parametrize(
    "received_at",
    ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "12/31/9999", "1901-01-01"],
)
async def test_a_date_out_of_range_rejects_its_row_and_keeps_the_rest(
    client: httpx.AsyncClient, sessions: Sessions, received_at: str
) -> None:
    store = await make_store(sessions)
    good, bad = vehicle(), vehicle(received_at=received_at)
    response = await client.post(
        f"/api/v1/stores/{store.slug}/inventory", json=[good, bad], headers=ADMIN
    )
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["created"] == 1
    [rejected] = summary["rejected"]
    assert (rejected["index"], rejected["vin"]) == (1, bad["vin"])
    assert any("received_at" in error and "out of range" in error for error in rejected["errors"])
    assert set(await units_by_vin(sessions, store)) == {good["vin"]}


async def test_the_feed_body_has_json_and_csv_examples(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    content = spec["paths"]["/api/v1/stores/{slug}/inventory"]["post"]["requestBody"]["content"]
    assert content["application/json"]["example"]["vehicles"][0]["vin"]
    assert content["text/csv"]["example"].startswith("VIN,")
