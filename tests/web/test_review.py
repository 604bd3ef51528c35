"""POST …/messages/{id}/resolve: a text that needs review, resolved from the board."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon.db.models import Message, Store, UnitEvent
from tests.board_api.helpers import ADMIN
from tests.factories import make_staff, make_store, make_unit
from tests.web.helpers import text_needing_review


def resolve_url(store: Store, message_id: uuid.UUID | str) -> str:
    return f"/api/v1/stores/{store.slug}/messages/{message_id}/resolve"


@pytest.fixture
async def waiting(sessions: async_sessionmaker[AsyncSession]) -> tuple[Store, Message]:
    """A store with one text waiting for review."""
    store = await make_store(sessions)
    staff = await make_staff(sessions, store)
    return store, await text_needing_review(sessions, store, staff, body="??")


class TestResolve:
    async def test_marks_it_resolved_linked_to_the_unit_and_announces_it(
        self, api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        store = await make_store(sessions)
        staff = await make_staff(sessions, store, name="Dre Walker")
        unit = await make_unit(sessions, store, stock_number="X1")
        message = await text_needing_review(sessions, store, staff, body="moved the gray one")

        response = await api.post(
            resolve_url(store, message.id),
            json={"unit": "x1", "action": "moved to detail"},
            headers=ADMIN,
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "resolved"
        assert body["unit_ids"] == [str(unit.id)]
        assert body["staff"]["name"] == "Dre Walker"
        assert body["interpretation"]["resolution"]["stock_number"] == "X1"
        assert body["interpretation"]["not_understood"] == "no unit named"  # kept
        async with sessions() as session:
            announced = await session.scalar(
                select(UnitEvent.data).where(
                    UnitEvent.message_id == message.id, UnitEvent.type == "message.status"
                )
            )
        assert announced is not None and announced["status"] == "resolved"

    async def test_twice_is_a_409(
        self, api: httpx.AsyncClient, waiting: tuple[Store, Message]
    ) -> None:
        store, message = waiting
        first = await api.post(resolve_url(store, message.id), json={}, headers=ADMIN)
        assert first.status_code == 200
        again = await api.post(resolve_url(store, message.id), json={}, headers=ADMIN)
        assert again.status_code == 409
        assert "not waiting for review" in again.json()["detail"]

    async def test_the_board_link_cannot_resolve(
        self, api: httpx.AsyncClient, waiting: tuple[Store, Message]
    ) -> None:
        store, message = waiting
        response = await api.post(
            resolve_url(store, message.id), params={"board_token": store.board_token}, json={}
        )
        assert response.status_code == 403

    async def test_unknown_text_or_unit_is_404_and_a_bad_body_422(
        self, api: httpx.AsyncClient, waiting: tuple[Store, Message]
    ) -> None:
        store, message = waiting
        missing = await api.post(resolve_url(store, uuid.uuid4()), json={}, headers=ADMIN)
        assert missing.status_code == 404
        no_unit = await api.post(
            resolve_url(store, message.id), json={"unit": "nope"}, headers=ADMIN
        )
        assert no_unit.status_code == 404
        bad = await api.post(
            resolve_url(store, message.id), json={"unit": 5, "x": 1}, headers=ADMIN
        )
        assert bad.status_code == 422
