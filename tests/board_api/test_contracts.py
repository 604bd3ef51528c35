"""What an outside client gets for input the happy path never sends: always a 4xx saying what
to fix (never a 500), and the contract's shapes for the less travelled routes."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.board_api.helpers import ADMIN, ApiStore, new_store, store_row
from tests.factories import make_unit

Sessions = async_sessionmaker[AsyncSession]


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class TestBadBodies:
    async def test_malformed_json_says_so(self, client: httpx.AsyncClient) -> None:
        store = await new_store(client)
        response = await client.put(
            store.url, content=b"{bad json", headers={**ADMIN, "Content-Type": "application/json"}
        )
        assert response.status_code == 422
        assert "not valid JSON" in response.json()["detail"]

    async def test_a_body_that_is_not_a_json_object_says_what_to_send(
        self, client: httpx.AsyncClient
    ) -> None:
        store = await new_store(client)
        body = {"name": "X", "sms_number": store.json["sms_number"]}
        for response in (
            await client.put(store.url, json=[body], headers=ADMIN),
            await client.put(
                store.url,
                content=json.dumps(body).encode(),
                headers={**ADMIN, "Content-Type": "text/plain"},
            ),
        ):
            assert response.status_code == 422
            assert "JSON object" in response.json()["detail"]

    async def test_a_missing_body_says_a_body_is_required(
        self, client: httpx.AsyncClient, sessions: Sessions
    ) -> None:
        store, _ = await store_with_unit(client, sessions)
        response = await client.post(f"{store.url}/units/u1/move", headers=ADMIN)
        assert response.status_code == 422
        assert response.json()["detail"] == "a JSON body is required"

    async def test_a_field_called_body_is_named_in_the_error(
        self, client: httpx.AsyncClient, sessions: Sessions
    ) -> None:
        store, _ = await store_with_unit(client, sessions)
        response = await client.post(
            f"{store.url}/units/u1/notes", json={"body": ""}, headers=ADMIN
        )
        assert response.status_code == 422
        assert response.json()["detail"].startswith("body: ")

    async def test_nul_characters_are_422_not_500(
        self, client: httpx.AsyncClient, sessions: Sessions
    ) -> None:
        store, _ = await store_with_unit(client, sessions)
        answers = [
            await client.put(
                store.url,
                json={"name": "A\u0000B", "sms_number": store.json["sms_number"]},
                headers=ADMIN,
            ),
            await client.get(f"{store.url}/units", params={"q": "\u0000"}, headers=ADMIN),
            await client.get(f"{store.url}/units/%00", headers=ADMIN),
            await client.get(f"{store.url}/messages", params={"status": "\u0000"}, headers=ADMIN),
            await client.post(
                f"{store.url}/units/u1/notes", json={"body": "a\u0000b"}, headers=ADMIN
            ),
        ]
        for response in answers:
            assert response.status_code == 422, (response.request.url, response.text)
            assert "NUL" in response.json()["detail"]

    async def test_stage_targets_must_be_finite_and_sane(self, client: httpx.AsyncClient) -> None:
        store = await new_store(client)
        for hours in (1e308, "Infinity", 0, -3):
            response = await client.put(
                store.url,
                json={
                    "name": "X",
                    "sms_number": store.json["sms_number"],
                    "stage_targets_hours": {"detail": hours},
                },
                headers=ADMIN,
            )
            assert response.status_code == 422, (hours, response.text)
            assert "stage_targets_hours.detail" in response.json()["detail"]
        # The unit list (whose ?overdue= does date arithmetic with them) still answers.
        listed = await client.get(f"{store.url}/units", params={"overdue": True}, headers=ADMIN)
        assert listed.status_code == 200


class TestEventPositions:
    async def test_out_of_range_or_odd_positions_are_422(self, client: httpx.AsyncClient) -> None:
        store = await new_store(client)
        queries = [
            {"after": "99999999999999999999"},
            {"after": "\u00b2"},  # a digit to str.isdigit, not to int()
            {"after": "-1"},
            {"cursor": _cursor(b"[99999999999999999999999]")},
            {"cursor": _cursor(b"[-1]")},
        ]
        for params in queries:
            response = await client.get(f"{store.url}/events", params=params, headers=ADMIN)
            assert response.status_code == 422, (params, response.text)
        biggest = await client.get(
            f"{store.url}/events", params={"after": str(2**63 - 1)}, headers=ADMIN
        )
        assert biggest.json() == {"items": [], "next_cursor": None}

    async def test_the_stream_refuses_impossible_resume_points_before_it_starts(
        self, client: httpx.AsyncClient
    ) -> None:
        store = await new_store(client)
        too_far = await client.get(
            f"{store.url}/stream", params={"after": "99999999999999999999"}, headers=ADMIN
        )
        assert too_far.status_code == 422
        for last_event_id in ("99999999999999999999", "abc", "\u00b2"):
            response = await client.get(
                f"{store.url}/stream",
                headers={**ADMIN, "Last-Event-ID": last_event_id.encode("latin-1")},  # type: ignore[dict-item]
            )
            assert response.status_code == 422, (last_event_id, response.text)
            assert "Last-Event-ID" in response.json()["detail"]


class TestUnitActions:
    async def test_done_needs_no_body(self, client: httpx.AsyncClient, sessions: Sessions) -> None:
        store, _ = await store_with_unit(client, sessions)
        response = await client.post(f"{store.url}/units/u1/done", headers=ADMIN)
        assert response.status_code == 200, response.text
        assert response.json()["stage"] == "inspection"

    async def test_a_stale_version_is_409_even_when_nothing_would_change(
        self, client: httpx.AsyncClient, sessions: Sessions
    ) -> None:
        store, unit = await store_with_unit(client, sessions)
        moved = await client.post(
            f"{store.url}/units/u1/move", json={"stage": "mechanical"}, headers=ADMIN
        )
        assert moved.json()["version"] == unit["version"] + 1
        stale = await client.post(
            f"{store.url}/units/u1/move",
            json={"stage": "mechanical", "version": unit["version"]},
            headers=ADMIN,
        )
        assert stale.status_code == 409
        assert "reload" in stale.json()["detail"]
        stale_clear = await client.delete(
            f"{store.url}/units/u1/blocker", params={"version": unit["version"]}, headers=ADMIN
        )
        assert stale_clear.status_code == 409
        current = await client.post(
            f"{store.url}/units/u1/move",
            json={"stage": "mechanical", "version": unit["version"] + 1},
            headers=ADMIN,
        )
        assert current.status_code == 200


class TestMessagesByUnit:
    async def test_unit_filter_takes_a_stock_number_or_an_id(
        self, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        store = await new_store(client)
        row = await store_row(sessions, store)
        unit = await make_unit(sessions, row, stock_number="A77")
        for ref in ("a77", str(unit.id)):
            response = await client.get(
                f"{store.url}/messages", params={"unit": ref}, headers=ADMIN
            )
            assert response.status_code == 200, response.text
            assert response.json() == {"items": [], "next_cursor": None}
        missing = await client.get(f"{store.url}/messages", params={"unit": "nope"}, headers=ADMIN)
        assert missing.status_code == 404


async def test_every_write_with_a_body_has_an_example(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if method not in ("post", "put", "patch") or body is None:
                continue
            content = body["content"]["application/json"]
            schema = content["schema"]
            if "$ref" in schema:
                schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
            assert content.get("example") or schema.get("examples"), (method, path)


async def store_with_unit(
    client: httpx.AsyncClient, sessions: Sessions
) -> tuple[ApiStore, dict[str, Any]]:
    """A store of its own with one unit, stock number `u1`, at intake."""
    store = await new_store(client)
    await make_unit(sessions, await store_row(sessions, store), stage="intake", stock_number="u1")
    response = await client.get(f"{store.url}/units/u1", headers=ADMIN)
    assert response.status_code == 200, response.text
    return store, dict(response.json())
