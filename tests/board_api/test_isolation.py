"""Tenant isolation: a store's token (or board link) on another store's resources gets 404 and
never data, on every route family."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.board_api.helpers import ADMIN, ApiStore, bearer, new_store, new_token, store_row
from tests.factories import make_unit


@pytest.fixture
async def other(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> tuple[ApiStore, dict[str, str]]:
    """Another store with a unit, a staff member, a token and a text: things to not see."""
    store = await new_store(client)
    unit = await make_unit(sessions, await store_row(sessions, store), stock_number="SECRET1")
    staff = await client.post(
        f"{store.url}/staff",
        json={"name": "Hidden Person", "phone": "5125550999", "role": "porter"},
        headers=ADMIN,
    )
    token = await client.post(
        f"{store.url}/tokens", json={"scopes": ["read"], "label": "theirs"}, headers=ADMIN
    )
    return store, {
        "unit": str(unit.id),
        "staff": staff.json()["id"],
        "token": token.json()["id"],
    }


def requests(
    store: ApiStore, ids: dict[str, str]
) -> list[tuple[str, str, dict[str, object] | None]]:
    unit = f"{store.url}/units/{ids['unit']}"
    return [
        ("GET", store.url, None),
        ("POST", f"{store.url}/board-token", None),
        ("GET", f"{store.url}/tokens", None),
        ("POST", f"{store.url}/tokens", {"scopes": ["read"], "label": "x"}),
        ("DELETE", f"{store.url}/tokens/{ids['token']}", None),
        ("GET", f"{store.url}/staff", None),
        ("POST", f"{store.url}/staff", {"name": "X", "phone": "5125550998", "role": "porter"}),
        ("GET", f"{store.url}/staff/{ids['staff']}", None),
        ("PATCH", f"{store.url}/staff/{ids['staff']}", {"name": "Renamed"}),
        ("DELETE", f"{store.url}/staff/{ids['staff']}", None),
        ("GET", f"{store.url}/units", None),
        ("GET", f"{store.url}/units/SECRET1", None),
        ("GET", unit, None),
        ("POST", f"{unit}/move", {"stage": "detail"}),
        ("POST", f"{unit}/notes", {"body": "hello"}),
        ("PUT", f"{unit}/blocker", {"kind": "parts"}),
        ("POST", f"{unit}/ack", None),
        ("GET", f"{store.url}/messages", None),
        ("GET", f"{store.url}/events", None),
        ("GET", f"{store.url}/stream", None),
    ]


async def test_a_store_token_sees_404_on_every_route_of_another_store(
    client: httpx.AsyncClient, other: tuple[ApiStore, dict[str, str]]
) -> None:
    theirs, ids = other
    mine = await new_store(client)
    token = bearer(await new_token(client, mine, "read", "write", "inventory"))
    for method, url, body in requests(theirs, ids):
        response = await client.request(method, url, json=body, headers=token)
        assert response.status_code == 404, (method, url, response.text)
        assert "SECRET1" not in response.text and "Hidden" not in response.text


async def test_a_board_link_sees_404_on_another_store(
    client: httpx.AsyncClient, other: tuple[ApiStore, dict[str, str]]
) -> None:
    theirs, ids = other
    mine = await new_store(client)
    for method, url, body in requests(theirs, ids):
        response = await client.request(
            method, url, json=body, params={"board_token": mine.board_token}
        )
        assert response.status_code == 404, (method, url, response.text)


async def test_nothing_of_another_store_is_reachable_through_my_store(
    client: httpx.AsyncClient, other: tuple[ApiStore, dict[str, str]]
) -> None:
    theirs, ids = other
    mine = await new_store(client)
    token = bearer(await new_token(client, mine, "read", "write"))
    for path in (f"/units/{ids['unit']}", "/units/SECRET1", f"/staff/{ids['staff']}"):
        response = await client.get(mine.url + path, headers=token)
        assert response.status_code == 404, path
    units = await client.get(f"{mine.url}/units", params={"q": "SECRET1"}, headers=token)
    assert units.json()["items"] == []
    events = await client.get(f"{mine.url}/events", params={"unit": ids["unit"]}, headers=token)
    assert events.status_code == 404
    listed = await client.get("/api/v1/stores", headers=token)
    assert theirs.slug not in listed.text
    changed = await client.put(
        theirs.url, json={"name": "Taken over", "sms_number": "+15125550100"}, headers=token
    )
    assert changed.status_code == 403
    assert (await client.get(theirs.url, headers=ADMIN)).json()["name"] == "Test Motors"


async def test_the_board_link_reads_but_never_writes(
    client: httpx.AsyncClient, store: ApiStore
) -> None:
    board = {"board_token": store.board_token}
    for path in ("", "/units", "/messages", "/events"):
        response = await client.get(store.url + path, params=board)
        assert response.status_code == 200, (path, response.text)
    staff = await client.get(f"{store.url}/staff", params=board)
    assert staff.status_code == 403
    tokens = await client.get(f"{store.url}/tokens", params=board)
    assert tokens.status_code == 403
    write = await client.post(
        f"{store.url}/staff",
        json={"name": "X", "phone": "5125550997", "role": "porter"},
        params=board,
    )
    assert write.status_code == 403
    assert "read-only" in write.json()["detail"]
