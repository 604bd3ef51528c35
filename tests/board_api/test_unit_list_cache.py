"""The unit list is served from a per-process cache keyed by the store's event seq: it must
answer exactly what Postgres holds, whoever made the change and whenever the clocks move."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from board_api.shared_reads import SharedReads
from board_api.units import listing, service
from recon.domain import units
from recon.events.types import VehicleFields
from tests.board_api.helpers import ADMIN, bearer, new_store, new_token, store_row
from tests.factories import API_CAUSE, make_unit, random_vin


async def _board(client: httpx.AsyncClient, url: str, reader: dict[str, str]) -> dict[str, dict]:
    response = await client.get(f"{url}/units", headers=reader)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return {unit["stock_number"]: unit for unit in response.json()["items"]}


class TestCachedUnitList:
    async def test_a_change_right_after_a_cached_read_shows_on_the_next_read(
        self, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        store = await new_store(client)
        row = await store_row(sessions, store)
        await make_unit(sessions, row, stock_number="C1", stage="mechanical")
        reader = bearer(await new_token(client, store, "read"))
        writer = bearer(await new_token(client, store, "write"))
        first = await _board(client, store.url, reader)
        assert await _board(client, store.url, reader) == first  # the second from the cache

        # Through this app...
        moved = await client.post(
            f"{store.url}/units/C1/move", json={"stage": "detail"}, headers=writer
        )
        assert moved.status_code == 200, moved.text
        after_move = (await _board(client, store.url, reader))["C1"]
        assert (after_move["stage"], after_move["version"]) == ("detail", moved.json()["version"])

        # ... and by another process (ingest-sms, inventory-sync, another copy of board-api),
        # which this process hears nothing about: the store's seq tells.
        async with sessions() as session, session.begin():
            unit = await units.get_unit(session, store_id=row.id, ref="C1")
            await units.add_note(session, unit, body="rotors in Friday", cause=API_CAUSE)
            await units.open_work_items(session, unit, names=["rotors"], cause=API_CAUSE)
        after_note = (await _board(client, store.url, reader))["C1"]
        assert [n["body"] for n in after_note["notes"]] == ["rotors in Friday"]
        assert [w["name"] for w in after_note["work_items"]] == ["rotors"]

        await make_unit(sessions, row, stock_number="C2")
        assert list(await _board(client, store.url, reader)) == ["C1", "C2"]

    async def test_store_targets_apply_to_a_cached_page_at_once(
        self, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        # A store's settings change no unit and bump no seq: the page's targets and overdue
        # flags are worked out per answer.
        store = await new_store(client, stage_targets_hours={"detail": 24})
        row = await store_row(sessions, store)
        two_days_ago = replace(API_CAUSE, at=units.now() - timedelta(days=2))
        async with sessions() as session, session.begin():
            unit = await units.create_unit(
                session,
                store_id=row.id,
                vehicle=VehicleFields(vin=random_vin(), stock_number="T1"),
                cause=two_days_ago,
            )
            await units.move_unit(session, unit, to_stage="detail", cause=two_days_ago)
        url = f"{store.url}/units?board_token={store.board_token}"
        before = (await client.get(url)).json()["items"][0]
        assert (before["stage_target_hours"], before["overdue"]) == (24, True)
        assert before["days_in_stage"] == 2

        body = {"name": "Test Motors", "sms_number": store.json["sms_number"]}
        updated = await client.put(
            store.url, json={**body, "stage_targets_hours": {"detail": 72}}, headers=ADMIN
        )
        assert updated.status_code == 200, updated.text
        after = (await client.get(url)).json()["items"][0]
        assert (after["stage_target_hours"], after["overdue"]) == (72, False)

    async def test_a_cached_unit_is_the_same_json_as_an_uncached_one(
        self, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        store = await new_store(client, stage_targets_hours={"mechanical": 48})
        row = await store_row(sessions, store)
        made = await make_unit(sessions, row, stock_number="J1", stage="mechanical")
        async with sessions() as session, session.begin():
            unit = await units.get_unit(session, store_id=row.id, ref=made.id)
            await units.open_work_items(session, unit, names=["brakes"], cause=API_CAUSE)
            await units.add_we_owe(session, unit, item="second key", cause=API_CAUSE)
            await units.block_unit(
                session, unit, kind="parts", note='"rotors", 2\\3', eta=None, cause=API_CAUSE
            )
        async with sessions() as session:
            unit = await units.get_unit(session, store_id=row.id, ref=made.id)
        listed = listing.ListedUnit.of(unit, row)
        for later in (timedelta(0), timedelta(hours=47, minutes=59), timedelta(days=3)):
            at = units.now() + later
            assert (
                listed.json(row, at) == service.unit_out(unit, row, at).model_dump_json().encode()
            )

    async def test_many_reads_right_after_a_change_read_postgres_once(
        self,
        client: httpx.AsyncClient,
        sessions: async_sessionmaker[AsyncSession],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        store = await new_store(client)
        row = await store_row(sessions, store)
        await make_unit(sessions, row, stock_number="K1", stage="detail")
        reader = bearer(await new_token(client, store, "read"))
        await _board(client, store.url, reader)  # cached at the current seq
        await make_unit(sessions, row, stock_number="K2")

        reads = 0
        list_units = service.list_units

        async def counted(*args: Any, **kwargs: Any) -> Any:
            nonlocal reads
            reads += 1
            await asyncio.sleep(0.05)  # a slow read, so the other boards ask while it runs
            return await list_units(*args, **kwargs)

        monkeypatch.setattr(service, "list_units", counted)
        boards = await asyncio.gather(*(_board(client, store.url, reader) for _ in range(20)))
        assert all(list(board) == ["K1", "K2"] for board in boards)
        assert reads == 1


class TestRepeatedReads:
    """A query string the route has answered before is answered in front of FastAPI
    (`units.fast_path`): for each caller and store exactly as the route answers it."""

    async def test_a_known_query_answers_each_store_and_refuses_as_the_route_does(
        self, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        ours, theirs = await new_store(client), await new_store(client)
        await make_unit(sessions, await store_row(sessions, ours), stock_number="F1")
        await make_unit(sessions, await store_row(sessions, theirs), stock_number="F9")
        query = "?limit=5&stage=intake"
        reader = bearer(await new_token(client, ours, "read"))
        for _ in range(2):  # the second time from the fast path
            listed = await client.get(f"{ours.url}/units{query}", headers=reader)
            assert [u["stock_number"] for u in listed.json()["items"]] == ["F1"]
        theirs_board = await client.get(f"{theirs.url}/units{query}", headers=ADMIN)
        assert [u["stock_number"] for u in theirs_board.json()["items"]] == ["F9"]

        other_store = await client.get(f"{theirs.url}/units{query}", headers=reader)
        assert other_store.status_code == 404, other_store.text
        malformed = await client.get(f"{ours.url}/units{query}", headers={"Authorization": "x"})
        assert malformed.status_code == 401
        assert malformed.json()["detail"] == "Authorization must be 'Bearer <token>'"
        unknown = await client.get(f"{ours.url}/units{query}", headers=bearer("rbt_nobody"))
        assert unknown.status_code == 401
        no_store = await client.get(f"{ours.url}x/units{query}", headers=ADMIN)
        assert no_store.status_code == 404

    async def test_its_answers_are_timed_under_the_route(self, client: httpx.AsyncClient) -> None:
        store = await new_store(client)
        url = f"{store.url}/units?board_token={store.board_token}&limit=7"
        for _ in range(3):
            assert (await client.get(url)).status_code == 200
        metrics = (await client.get("/metrics")).text
        timed = [
            line
            for line in metrics.splitlines()
            if line.startswith("recon_http_request_seconds_count")
            and 'route="/api/v1/stores/{slug}/units"' in line
            and 'status="200"' in line
        ]
        assert timed and "unmatched" not in "".join(timed)


class TestSharedReads:
    async def test_a_read_never_shares_a_query_that_began_before_it(self) -> None:
        reads: SharedReads[int] = SharedReads()
        started = 0
        release = asyncio.Event()

        async def query() -> int:
            nonlocal started
            started += 1
            number = started
            await release.wait()
            return number

        first = asyncio.create_task(reads.read("board", query))
        await asyncio.sleep(0)  # its query is out
        later = [asyncio.create_task(reads.read("board", query)) for _ in range(5)]
        other = asyncio.create_task(reads.read("another board", query))
        await asyncio.sleep(0)
        release.set()
        # The five that came while the first query was out share one query of their own.
        assert await first == 1
        shared = {await task for task in later}
        assert len(shared) == 1 and shared != {1}
        assert await other not in shared | {1}
        assert started == 3
