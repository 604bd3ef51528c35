"""POST /api/v1/stores/{slug}/inventory (JSON and CSV), who may call it, what a body that is
not a feed gets, the sync history, and what reaches JetStream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from inventory_sync.main import create_app
from inventory_sync.puller import PullSettings
from recon.db.models import Store
from recon.messaging.jetstream import connect
from recon.settings import Settings
from tests.conftest import ADMIN_TOKEN
from tests.eventing import wait_for_events
from tests.factories import make_store, make_unit
from tests.inventory.helpers import Sessions, events_of, make_token, units_by_vin, vehicle
from tests.platform.test_services import serving

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    # No feed is due in these tests; a long poll keeps the puller out of the way.
    async with serving(create_app(settings, pull=PullSettings(poll_seconds=3600))) as client:
        yield client


def inventory_url(store: Store, query: str = "") -> str:
    return f"/api/v1/stores/{store.slug}/inventory{query}"


async def push_json(
    client: httpx.AsyncClient, store: Store, body: object, headers: dict[str, str] = ADMIN
) -> httpx.Response:
    return await client.post(inventory_url(store), json=body, headers=headers)


async def push_csv(
    client: httpx.AsyncClient, store: Store, text: str, query: str = ""
) -> httpx.Response:
    return await client.post(
        inventory_url(store, query),
        content=text.encode(),
        headers={**ADMIN, "Content-Type": "text/csv; charset=utf-8"},
    )


class TestJsonPush:
    async def test_answers_what_it_did_and_the_cars_are_on_the_board(
        self, client: httpx.AsyncClient, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        feed = [vehicle(), vehicle(), vehicle(mileage=-4)]

        response = await push_json(client, store, {"mode": "full", "vehicles": feed})

        assert response.status_code == 200, response.text
        assert response.json() == {
            "created": 2,
            "updated": 0,
            "unchanged": 0,
            "removed": 0,
            "rejected": [
                {
                    "index": 2,
                    "vin": feed[2]["vin"],
                    "stock_number": feed[2]["stock_number"],
                    "errors": ["mileage -4 must be a non-negative whole number up to 9,999,999"],
                }
            ],
        }
        assert set(await units_by_vin(sessions, store)) == {feed[0]["vin"], feed[1]["vin"]}

    async def test_mode_defaults_to_delta_which_never_removes(
        self, client: httpx.AsyncClient, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        await make_unit(sessions, store)

        response = await push_json(client, store, {"vehicles": [vehicle()]})

        assert response.json()["removed"] == 0
        assert len(await units_by_vin(sessions, store)) == 2

    async def test_full_mode_removes(self, client: httpx.AsyncClient, sessions: Sessions) -> None:
        store = await make_store(sessions)
        await make_unit(sessions, store)
        response = await push_json(client, store, {"mode": "full", "vehicles": [vehicle()]})
        assert (response.json()["created"], response.json()["removed"]) == (1, 1)

    async def test_a_bare_list_of_vehicles_is_a_feed(
        self, client: httpx.AsyncClient, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        response = await push_json(client, store, [vehicle()])
        assert response.json()["created"] == 1


CSV_EXPORT = """\ufeffVIN,Stock #,Model Year,Make,Model,Series,Ext. Color,Odometer,Date In Stock,List Price
{vin1},2231,2019,Chevrolet,Silverado 1500,LT,Summit White,"42,118",03/14/2024,"$31,995"
{vin2},7710,2021,Toyota,Camry,SE,Celestial Silver,18004,2024-03-20,"$24,500"

"""

CSV_OTHER_DMS = """vin;StockNumber;Year;MAKE;model;Trim;ExtColor;Miles;InStockDate
{vin1};2231;2019;Chevrolet;Silverado 1500;LT;Summit White;42118;2024-03-14
{vin2};7710;2021;Toyota;Camry;SE;Celestial Silver;18004;03/20/2024
"""


class TestCsvPush:
    async def test_common_dms_headers_are_understood(
        self, client: httpx.AsyncClient, sessions: Sessions
    ) -> None:
        store = await make_store(sessions, timezone="America/New_York")
        vins = {"vin1": vehicle()["vin"], "vin2": vehicle()["vin"]}

        response = await push_csv(client, store, CSV_EXPORT.format(**vins))

        assert response.status_code == 200, response.text
        assert response.json()["created"] == 2
        silverado = (await units_by_vin(sessions, store))[vins["vin1"]]
        assert (silverado.stock_number, silverado.year, silverado.make, silverado.model) == (
            "2231",
            2019,
            "Chevrolet",
            "Silverado 1500",
        )
        assert (silverado.trim, silverado.exterior_color, silverado.mileage) == (
            "LT",
            "Summit White",
            42118,
        )
        assert silverado.received_at.isoformat() == "2024-03-14T04:00:00+00:00"

        # The same cars from a DMS that names its columns differently: nothing changes.
        again = await push_csv(client, store, CSV_OTHER_DMS.format(**vins))
        assert again.json() == {
            "created": 0,
            "updated": 0,
            "unchanged": 2,
            "removed": 0,
            "rejected": [],
        }

    async def test_mode_comes_from_the_query(
        self, client: httpx.AsyncClient, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        await make_unit(sessions, store)
        vins = {"vin1": vehicle()["vin"], "vin2": vehicle()["vin"]}
        response = await push_csv(client, store, CSV_EXPORT.format(**vins), "?mode=full")
        assert (response.json()["created"], response.json()["removed"]) == (2, 1)

    async def test_bad_rows_are_reported_by_index(
        self, client: httpx.AsyncClient, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        good = vehicle()
        csv_text = f"VIN,Stock,Year\n{good['vin']},100,2020\n1HGCM82633A00435,101,1820\n"

        response = await push_csv(client, store, csv_text)

        assert response.json()["created"] == 1
        assert response.json()["rejected"] == [
            {
                "index": 1,
                "vin": "1HGCM82633A00435",
                "stock_number": "101",
                "errors": [
                    "vin must be 17 characters, not 16",
                    response.json()["rejected"][0]["errors"][1],
                ],
            }
        ]
        assert response.json()["rejected"][0]["errors"][1].startswith("year 1820 is out of range")


class TestNotAFeed:
    @pytest.mark.parametrize(
        ("content_type", "body", "status", "detail"),
        [
            ("text/plain", b"hello", 415, "send the feed as application/json or text/csv"),
            ("application/json", b"{not json", 422, "the body is not valid JSON"),
            ("application/json", b'{"cars": []}', 422, '"vehicles" must be a list'),
            ("application/json", b'"vehicles"', 422, "the body must be an object"),
            ("application/json", b'{"mode": "all", "vehicles": []}', 422, "mode must be"),
            ("text/csv", b"Stock,Make\n1,Ford\n", 422, "the CSV has no VIN column"),
            ("text/csv", b"VIN,Make\n1,Ford\n", 422, "the CSV has no stock number column"),
            ("text/csv", b"", 422, "the CSV is empty"),
        ],
    )
    async def test_is_refused_whole_with_a_reason(
        self,
        client: httpx.AsyncClient,
        sessions: Sessions,
        content_type: str,
        body: bytes,
        status: int,
        detail: str,
    ) -> None:
        store = await make_store(sessions)
        response = await client.post(
            inventory_url(store), content=body, headers={**ADMIN, "Content-Type": content_type}
        )
        assert response.status_code == status
        assert response.json()["detail"].startswith(detail), response.json()
        assert await units_by_vin(sessions, store) == {}

    async def test_a_body_and_url_that_disagree_on_the_mode_are_refused(
        self, client: httpx.AsyncClient, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        response = await client.post(
            inventory_url(store, "?mode=delta"),
            json={"mode": "full", "vehicles": []},
            headers=ADMIN,
        )
        assert response.status_code == 422
        assert response.json()["detail"] == "the body says mode full but the URL says delta"


class TestAuth:
    async def test_without_a_token_it_is_401(
        self, client: httpx.AsyncClient, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        response = await push_json(client, store, {"vehicles": [vehicle()]}, headers={})
        assert response.status_code == 401
        assert response.json() == {"detail": "a bearer token is required"}

    @pytest.mark.parametrize("revoked", [False, True])
    async def test_an_unknown_or_revoked_token_is_401(
        self, client: httpx.AsyncClient, sessions: Sessions, revoked: bool
    ) -> None:
        store = await make_store(sessions)
        token = await make_token(sessions, store, "inventory", revoked=True) if revoked else "nope"
        response = await push_json(
            client, store, [vehicle()], headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401
        assert await units_by_vin(sessions, store) == {}

    async def test_a_store_token_with_the_inventory_scope_syncs_its_store(
        self, client: httpx.AsyncClient, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        token = await make_token(sessions, store, "inventory")
        response = await push_json(
            client, store, [vehicle()], headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200
        created = (await events_of(sessions, store))[0]
        assert created.actor_kind == "inventory"
        assert created.actor_name == "dms export"

    async def test_a_token_without_the_scope_is_403_but_may_read_the_history(
        self, client: httpx.AsyncClient, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        headers = {"Authorization": f"Bearer {await make_token(sessions, store, 'read')}"}
        response = await push_json(client, store, [vehicle()], headers=headers)
        assert response.status_code == 403
        assert response.json() == {"detail": "this token lacks the inventory scope"}
        history = await client.get(inventory_url(store, "/syncs"), headers=headers)
        assert history.status_code == 200

    async def test_a_token_of_another_store_is_404(
        self, client: httpx.AsyncClient, sessions: Sessions
    ) -> None:
        mine, theirs = await make_store(sessions), await make_store(sessions)
        headers = {"Authorization": f"Bearer {await make_token(sessions, mine, 'inventory')}"}
        response = await push_json(client, theirs, [vehicle()], headers=headers)
        assert response.status_code == 404
        assert response.json() == {"detail": f"no store {theirs.slug}"}
        assert await units_by_vin(sessions, theirs) == {}

    async def test_an_unknown_store_is_404(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/api/v1/stores/no-such-store/inventory", json=[vehicle()], headers=ADMIN
        )
        assert response.status_code == 404


class TestHistory:
    async def test_each_run_is_listed_newest_first_with_its_summary_and_source(
        self, client: httpx.AsyncClient, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        row = vehicle()
        await push_json(client, store, {"mode": "full", "vehicles": [row, vehicle(year=1)]})
        await push_csv(client, store, f"VIN,Stock\n{row['vin']},{row['stock_number']}\n")

        response = await client.get(inventory_url(store, "/syncs"), headers=ADMIN)

        assert response.status_code == 200
        body = response.json()
        assert body["next_cursor"] is None
        newest, oldest = body["items"]
        assert (newest["source"], newest["mode"], newest["status"]) == ("push-csv", "delta", "ok")
        assert (newest["created"], newest["unchanged"]) == (0, 1)
        assert (oldest["source"], oldest["mode"], oldest["created"]) == ("push-json", "full", 1)
        assert oldest["rejected"][0]["index"] == 1
        assert oldest["duration_ms"] >= 0 and oldest["finished_at"] >= oldest["started_at"]
        assert oldest["error"] is None

    async def test_pages_with_a_cursor(self, client: httpx.AsyncClient, sessions: Sessions) -> None:
        store = await make_store(sessions)
        for _ in range(3):
            await push_json(client, store, [vehicle()])
        url = inventory_url(store, "/syncs")

        first = (await client.get(url, params={"limit": 2}, headers=ADMIN)).json()
        second = (
            await client.get(
                url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=ADMIN
            )
        ).json()

        assert len(first["items"]) == 2 and len(second["items"]) == 1
        assert second["next_cursor"] is None
        ids = [item["id"] for item in first["items"] + second["items"]]
        assert len(set(ids)) == 3
        bad = await client.get(url, params={"cursor": "garbage"}, headers=ADMIN)
        assert bad.status_code == 422


class TestEvents:
    async def test_what_reaches_jetstream_is_exactly_what_changed(
        self, client: httpx.AsyncClient, sessions: Sessions, settings: Settings
    ) -> None:
        store = await make_store(sessions)
        kept, changed, gone = vehicle(), vehicle(), vehicle()
        await push_json(client, store, {"mode": "full", "vehicles": [kept, changed, gone]})
        second = await push_json(
            client,
            store,
            {"mode": "full", "vehicles": [kept, {**changed, "mileage": 1}, vehicle()]},
        )
        assert json.loads(second.text)["removed"] == 1

        logged = await events_of(sessions, store)
        assert sorted(e.type for e in logged) == sorted(
            ["unit.created"] * 4 + ["unit.updated", "unit.removed"]
        )
        nc = await connect(settings.nats_url, name="test-inventory-reader")
        try:
            # The service's own outbox relay publishes them.
            published = await wait_for_events(nc, store.slug, len(logged))
        finally:
            await nc.close()
        assert [(e.id, e.type, e.seq) for e in published] == [
            (e.id, f"recon.{e.type}", e.seq) for e in logged
        ]
        assert all(e.source == "recon/inventory-sync" for e in published)
