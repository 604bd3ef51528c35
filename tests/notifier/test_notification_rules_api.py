"""`GET/PUT /api/v1/stores/{slug}/notification-rules` on board-api."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from board_api.main import create_app
from recon.settings import Settings
from tests.conftest import ADMIN_TOKEN
from tests.factories import make_staff, make_store
from tests.platform.test_services import serving

Sessions = async_sessionmaker[AsyncSession]
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(settings)) as client:
        yield client


def url(slug: str) -> str:
    return f"/api/v1/stores/{slug}/notification-rules"


async def test_a_new_store_shows_the_default_rules(
    client: httpx.AsyncClient, sessions: Sessions
) -> None:
    store = await make_store(sessions)
    response = await client.get(url(store.slug), headers=ADMIN)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["defaults"] is True
    assert body["next_cursor"] is None
    assert {
        "id": None,
        "event_type": "unit.stage_changed",
        "stage": "detail",
        "blocker_kind": None,
        "roles": ["detailer"],
        "staff_ids": [],
        "enabled": True,
    } in body["items"]
    assert [r["event_type"] for r in body["items"]].count("digest") == 1


async def test_put_replaces_the_rules_and_an_empty_list_restores_the_defaults(
    client: httpx.AsyncClient, sessions: Sessions
) -> None:
    store = await make_store(sessions)
    porter = await make_staff(sessions, store, role="porter")
    rules = [
        {"event_type": "unit.stage_changed", "stage": "photos", "staff_ids": [str(porter.id)]},
        {
            "event_type": "unit.blocked",
            "blocker_kind": "parts",
            "roles": ["parts", "last_technician"],
        },
    ]
    saved = await client.put(url(store.slug), json={"rules": rules}, headers=ADMIN)
    assert saved.status_code == 200, saved.text
    shown = (await client.get(url(store.slug), headers=ADMIN)).json()
    assert shown == saved.json()
    assert shown["defaults"] is False
    assert [
        (r["event_type"], r["stage"], r["blocker_kind"], r["roles"], r["staff_ids"])
        for r in shown["items"]
    ] == [
        ("unit.stage_changed", "photos", None, [], [str(porter.id)]),
        ("unit.blocked", None, "parts", ["parts", "last_technician"], []),
    ]
    back = await client.put(url(store.slug), json={"rules": []}, headers=ADMIN)
    assert back.json()["defaults"] is True


@pytest.mark.parametrize(
    ("rule", "detail"),
    [
        (
            {"event_type": "unit.exploded", "roles": ["sales"]},
            "rules[1]: event_type 'unit.exploded'",
        ),
        ({"event_type": "unit.stage_changed", "roles": ["chef"]}, "rules[1]: unknown role 'chef'"),
        (
            {"event_type": "unit.stage_changed", "stage": "paint", "roles": ["sales"]},
            "rules[1]: stage 'paint'",
        ),
        ({"event_type": "unit.stage_changed"}, "rules[1]: a rule needs roles or staff_ids"),
        (
            {"event_type": "unit.stage_changed", "staff_ids": [str(uuid.UUID(int=7))]},
            f"rules[1]: no staff {uuid.UUID(int=7)} in this store",
        ),
    ],
)
async def test_a_bad_rule_is_refused_by_index_and_nothing_is_saved(
    client: httpx.AsyncClient, sessions: Sessions, rule: dict[str, object], detail: str
) -> None:
    store = await make_store(sessions)
    good = {"event_type": "unit.stage_changed", "stage": "detail", "roles": ["detailer"]}
    response = await client.put(url(store.slug), json={"rules": [good, rule]}, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(detail)
    assert (await client.get(url(store.slug), headers=ADMIN)).json()["defaults"] is True


async def test_a_malformed_body_is_a_readable_422(
    client: httpx.AsyncClient, sessions: Sessions
) -> None:
    store = await make_store(sessions)
    response = await client.put(
        url(store.slug), json={"rules": [{"roles": ["sales"]}]}, headers=ADMIN
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "rules.0.event_type: Field required"


async def test_it_needs_the_admin_token_and_a_known_store(
    client: httpx.AsyncClient, sessions: Sessions
) -> None:
    store = await make_store(sessions)
    assert (await client.get(url(store.slug))).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert (await client.get(url(store.slug), headers=wrong)).status_code == 401
    missing = await client.get(url("no-such-store"), headers=ADMIN)
    assert (missing.status_code, missing.json()) == (404, {"detail": "no store 'no-such-store'"})
