"""The whole board API through HTTP: a store, its tokens and staff, units and every action,
the timeline, messages and the event log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon.db.models import ApiToken, Unit
from recon.domain import messages
from tests.board_api.helpers import ADMIN, bearer, new_store, new_token, store_row
from tests.factories import make_unit


class TestStores:
    async def test_quiet_hours_default_to_the_night_and_null_turns_them_off(
        self, client: httpx.AsyncClient
    ) -> None:
        night = await new_store(client)
        never_quiet = await new_store(client, quiet_hours_start=None, quiet_hours_end=None)
        assert (night.json["quiet_hours_start"], night.json["quiet_hours_end"]) == (
            "20:00:00",
            "07:00:00",
        )
        assert (never_quiet.json["quiet_hours_start"], never_quiet.json["quiet_hours_end"]) == (
            None,
            None,
        )

    async def test_put_creates_then_updates_the_same_store(self, client: httpx.AsyncClient) -> None:
        store = await new_store(client, sms_number="(512) 555-0177")
        assert store.json["sms_number"] == "+15125550177"
        assert store.json["holding_cost_per_day"] == 35
        assert store.json["stage_targets_hours"]["mechanical"] == 48
        assert store.json["board_url"].endswith(f"/board/{store.board_token}")

        again = await client.put(
            store.url,
            json={
                "name": "Acme Motors",
                "sms_number": "+15125550177",
                "timezone": "America/Denver",
                "stage_targets_hours": {"detail": 12},
            },
            headers=ADMIN,
        )
        assert again.status_code == 200, again.text
        body = again.json()
        assert (body["id"], body["name"], body["timezone"]) == (
            store.id,
            "Acme Motors",
            "America/Denver",
        )
        assert body["stage_targets_hours"]["detail"] == 12
        assert body["stage_targets_hours"]["mechanical"] == 48
        assert body["board_token"] == store.board_token

    async def test_bad_settings_are_422_with_the_reason(self, client: httpx.AsyncClient) -> None:
        store = await new_store(client)
        cases = [
            ({"timezone": "Mars/Olympus"}, "IANA time zone"),
            ({"stage_targets_hours": {"paint": 3}}, "stage_targets_hours"),
            ({"sms_number": "not a phone"}, "not a phone number"),
            ({"holding_cost_per_day": -1}, "holding_cost_per_day"),
        ]
        for change, reason in cases:
            body = {"name": "X", "sms_number": store.json["sms_number"], **change}
            response = await client.put(store.url, json=body, headers=ADMIN)
            assert response.status_code == 422, (change, response.text)
            assert reason in response.json()["detail"]
        bad_slug = await client.put(
            "/api/v1/stores/Bad.Slug",
            json={"name": "X", "sms_number": "+15125550199"},
            headers=ADMIN,
        )
        assert bad_slug.status_code == 422
        assert "slug" in bad_slug.json()["detail"]

    async def test_two_stores_cannot_share_a_number(self, client: httpx.AsyncClient) -> None:
        first = await new_store(client)
        response = await client.put(
            "/api/v1/stores/other-" + first.slug,
            json={"name": "Other", "sms_number": first.json["sms_number"]},
            headers=ADMIN,
        )
        assert response.status_code == 409
        assert first.slug in response.json()["detail"]

    async def test_board_token_rotates(self, client: httpx.AsyncClient) -> None:
        store = await new_store(client)
        old = store.board_token
        rotated = await client.post(f"{store.url}/board-token", headers=ADMIN)
        assert rotated.status_code == 200
        assert rotated.json()["board_token"] != old
        assert (
            await client.get(f"{store.url}/units", params={"board_token": old})
        ).status_code == 401
        new = rotated.json()["board_token"]
        assert (
            await client.get(f"{store.url}/units", params={"board_token": new})
        ).status_code == 200

    async def test_the_store_list_shows_a_token_only_its_store(
        self, client: httpx.AsyncClient
    ) -> None:
        mine, other = await new_store(client), await new_store(client)
        token = await new_token(client, mine, "read")
        listed = (await client.get("/api/v1/stores", headers=bearer(token))).json()
        assert [s["slug"] for s in listed["items"]] == [mine.slug]
        everything = []
        cursor = None
        while True:
            page = await client.get(
                "/api/v1/stores",
                params={"limit": 2, **({"cursor": cursor} if cursor else {})},
                headers=ADMIN,
            )
            everything += [s["slug"] for s in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
        assert {mine.slug, other.slug} <= set(everything)
        assert len(everything) == len(set(everything))


class TestTokens:
    async def test_a_token_is_shown_once_stored_hashed_and_revocable(
        self, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        store = await new_store(client)
        created = await client.post(
            f"{store.url}/tokens", json={"scopes": ["read"], "label": "wall TV"}, headers=ADMIN
        )
        assert created.status_code == 201
        token = created.json()["token"]
        listed = (await client.get(f"{store.url}/tokens", headers=ADMIN)).json()["items"]
        assert [(t["label"], t["scopes"]) for t in listed] == [("wall TV", ["read"])]
        assert "token" not in listed[0]
        assert (await client.get(f"{store.url}/units", headers=bearer(token))).status_code == 200

        revoked = await client.delete(f"{store.url}/tokens/{listed[0]['id']}", headers=ADMIN)
        assert revoked.json()["revoked_at"] is not None
        assert (await client.get(f"{store.url}/units", headers=bearer(token))).status_code == 401

    async def test_unknown_scope_is_422(self, client: httpx.AsyncClient) -> None:
        store = await new_store(client)
        response = await client.post(
            f"{store.url}/tokens", json={"scopes": ["delete"], "label": "x"}, headers=ADMIN
        )
        assert response.status_code == 422
        assert "read" in response.json()["detail"]

    async def test_scopes_are_enforced(self, client: httpx.AsyncClient) -> None:
        store = await new_store(client)
        reader = await new_token(client, store, "read")
        staff = {"name": "Dana", "phone": "5125550150", "role": "detailer"}
        refused = await client.post(f"{store.url}/staff", json=staff, headers=bearer(reader))
        assert refused.status_code == 403
        assert "write" in refused.json()["detail"]
        assert (await client.get(f"{store.url}/units")).status_code == 401
        wrong = await client.get(f"{store.url}/units", headers=bearer("rbt_not-a-token"))
        assert wrong.status_code == 401

    async def test_the_unit_list_checks_every_token_on_every_read(
        self, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        """The unit list reads its caller in one plain statement: same answers as elsewhere."""
        store = await new_store(client)
        reader = await new_token(client, store, "read", label="wall TV")
        feeder = await new_token(client, store, "inventory")
        for _ in range(3):  # the first read records the token's use, the others skip it
            assert (await client.get(f"{store.url}/units", headers=bearer(reader))).is_success
        async with sessions() as session:
            used = await session.scalar(
                select(ApiToken.last_used_at).where(ApiToken.label == "wall TV")
            )
        assert used is not None

        lacking = await client.get(f"{store.url}/units", headers=bearer(feeder))
        assert lacking.status_code == 403
        assert "'read'" in lacking.json()["detail"]
        board = await client.get(f"{store.url}/units", params={"board_token": store.board_token})
        assert board.status_code == 200
        elsewhere = await new_store(client)
        assert (
            await client.get(f"{elsewhere.url}/units", headers=bearer(reader))
        ).status_code == 404

        token_id = (await client.get(f"{store.url}/tokens", headers=ADMIN)).json()["items"]
        wall_tv = next(t["id"] for t in token_id if t["label"] == "wall TV")
        await client.delete(f"{store.url}/tokens/{wall_tv}", headers=ADMIN)
        assert (await client.get(f"{store.url}/units", headers=bearer(reader))).status_code == 401


class TestStaff:
    async def test_staff_lifecycle(self, client: httpx.AsyncClient) -> None:
        store = await new_store(client)
        writer = bearer(await new_token(client, store, "read", "write"))
        created = await client.post(
            f"{store.url}/staff",
            json={"name": "Dana Ruiz", "phone": "(512) 555-0101", "role": "technician"},
            headers=writer,
        )
        assert created.status_code == 201, created.text
        dana = created.json()
        assert (dana["phone"], dana["role"], dana["active"]) == ("+15125550101", "technician", True)

        duplicate = await client.post(
            f"{store.url}/staff",
            json={"name": "Someone", "phone": "+1 512 555 0101", "role": "porter"},
            headers=writer,
        )
        assert duplicate.status_code == 409
        assert "+15125550101" in duplicate.json()["detail"]

        elsewhere = await new_store(client)
        same_phone = await client.post(
            f"{elsewhere.url}/staff",
            json={"name": "Dana Ruiz", "phone": "512-555-0101", "role": "detailer"},
            headers=ADMIN,
        )
        assert same_phone.status_code == 201

        bad_role = await client.post(
            f"{store.url}/staff",
            json={"name": "Pat", "phone": "5125550102", "role": "wizard"},
            headers=writer,
        )
        assert bad_role.status_code == 422
        assert "technician" in bad_role.json()["detail"] and "detailer" in bad_role.json()["detail"]

        patched = await client.patch(
            f"{store.url}/staff/{dana['id']}", json={"role": "service_advisor"}, headers=writer
        )
        assert patched.json()["role"] == "service_advisor"
        deactivated = await client.delete(f"{store.url}/staff/{dana['id']}", headers=writer)
        assert deactivated.json()["active"] is False
        fetched = await client.get(f"{store.url}/staff/{dana['id']}", headers=writer)
        assert fetched.json()["active"] is False
        active = await client.get(f"{store.url}/staff", params={"active": True}, headers=writer)
        assert active.json()["items"] == []
        missing = await client.get(f"{store.url}/staff/not-a-uuid", headers=writer)
        assert missing.status_code == 422


class TestUnits:
    async def test_every_action_through_http(
        self, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        store = await new_store(client)
        row = await store_row(sessions, store)
        unit = await make_unit(sessions, row, stock_number="T2231", stage="mechanical")
        writer = bearer(await new_token(client, store, "read", "write", label="service drive"))
        base = f"{store.url}/units/t2231"

        got = await client.get(base, headers=writer)
        assert got.status_code == 200, got.text
        body = got.json()
        assert (body["id"], body["stock_number"], body["stage"]) == (
            str(unit.id),
            "T2231",
            "mechanical",
        )
        assert body["blocker"] is None and body["store"] == store.slug
        version = body["version"]

        opened = await client.post(
            f"{base}/work-items",
            json={"names": ["front brakes"], "version": version},
            headers=writer,
        )
        assert opened.status_code == 200, opened.text
        item = opened.json()["work_items"][0]
        assert (item["name"], item["status"]) == ("front brakes", "open")

        stale = await client.post(
            f"{base}/notes", json={"body": "old view", "version": version}, headers=writer
        )
        assert stale.status_code == 409
        assert "version" in stale.json()["detail"]

        done_item = await client.post(
            f"{base}/work-items/{item['id']}/complete", json={}, headers=writer
        )
        assert done_item.json()["work_items"][0]["status"] == "done"

        blocked = await client.put(
            f"{base}/blocker",
            json={"kind": "parts", "note": "rotors", "eta": "2030-01-02"},
            headers=writer,
        )
        assert blocked.json()["blocker"]["kind"] == "parts"
        assert blocked.json()["blocker"]["eta"] == "2030-01-02"
        listed = await client.get(f"{store.url}/units", params={"blocked": True}, headers=writer)
        assert [u["stock_number"] for u in listed.json()["items"]] == ["T2231"]
        unblocked = await client.delete(f"{base}/blocker", headers=writer)
        assert unblocked.json()["blocker"] is None

        noted = await client.post(
            f"{base}/notes", json={"body": "customer waiting"}, headers=writer
        )
        assert noted.json()["notes"][0]["author"] == "service drive"
        owed = await client.post(f"{base}/we-owe", json={"item": "second key"}, headers=writer)
        owe_id = owed.json()["we_owe"][0]["id"]
        owe_done = await client.post(f"{base}/we-owe/{owe_id}/complete", headers=writer)
        assert owe_done.status_code == 200, owe_done.text
        assert owe_done.json()["we_owe"][0]["status"] == "done"

        done = await client.post(f"{base}/done", json={}, headers=writer)
        assert done.json()["stage"] == "detail"
        moved = await client.post(f"{base}/move", json={"stage": "photos"}, headers=writer)
        assert moved.json()["stage"] == "photos"
        acked = await client.post(f"{base}/ack", headers=writer)
        assert acked.json()["acks"][0]["by"] == "service drive"
        assert acked.json()["acks"][0]["stage"] == "photos"

        backwards = await client.post(f"{base}/done", json={"stage": "detail"}, headers=writer)
        assert backwards.status_code == 409
        bad_stage = await client.post(f"{base}/move", json={"stage": "paint"}, headers=writer)
        assert bad_stage.status_code == 422
        assert "detail" in bad_stage.json()["detail"]

        timeline = (await client.get(base, headers=writer)).json()["timeline"]
        types = [event["type"] for event in timeline]
        assert types == [
            "unit.created",
            "unit.stage_changed",
            "work_item.opened",
            "work_item.done",
            "unit.blocked",
            "unit.unblocked",
            "note.added",
            "we_owe.added",
            "we_owe.done",
            "unit.stage_changed",
            "unit.stage_changed",
            "unit.acknowledged",
        ]
        assert [e["seq"] for e in timeline] == sorted(e["seq"] for e in timeline)
        assert {e["who"] for e in timeline[2:]} == {"service drive"}
        assert {e["source"] for e in timeline[2:]} == {"api"}

    async def test_filters_and_lookup(
        self, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        store = await new_store(client, stage_targets_hours={"detail": 30})
        row = await store_row(sessions, store)
        white = await make_unit(
            sessions, row, stock_number="A1", stage="detail", exterior_color="White"
        )
        async with sessions() as session, session.begin():
            await session.execute(
                update(Unit)
                .where(Unit.id == white.id)
                .values(stage_entered_at=datetime.now(UTC) - timedelta(hours=31))
            )
        await make_unit(
            sessions, row, stock_number="B2", stage="photos", make="Ford", model="F-150"
        )
        reader = bearer(await new_token(client, store, "read"))

        async def stocks(**params: object) -> list[str]:
            response = await client.get(f"{store.url}/units", params=params, headers=reader)
            assert response.status_code == 200, response.text
            return [u["stock_number"] for u in response.json()["items"]]

        assert await stocks() == ["A1", "B2"]
        assert await stocks(stage="photos") == ["B2"]
        assert await stocks(stage="detail,photos") == ["A1", "B2"]
        assert await stocks(q="white silverado") == ["A1"]
        assert await stocks(q="f-150") == ["B2"]
        assert await stocks(q=white.vin[-6:]) == ["A1"]
        assert await stocks(overdue=True) == ["A1"]
        assert await stocks(overdue=False) == ["B2"]
        by_id = await client.get(f"{store.url}/units/{white.id}", headers=reader)
        assert by_id.json()["overdue"] is True
        assert by_id.json()["stage_target_hours"] == 30
        assert by_id.json()["days_in_stage"] > 1.25
        assert (await client.get(f"{store.url}/units/nope", headers=reader)).status_code == 404

        for params, reason in [
            ({"stage": "paint"}, "unknown stage"),
            ({"limit": 1001}, "limit"),
            ({"cursor": "garbage!"}, "cursor"),
            ({"blocked": "maybe"}, "blocked"),
        ]:
            response = await client.get(f"{store.url}/units", params=params, headers=reader)
            assert response.status_code == 422, params
            assert reason in response.json()["detail"]


class TestMessagesAndEvents:
    async def test_messages_filters_and_events_after(
        self, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        store = await new_store(client)
        row = await store_row(sessions, store)
        staffed = await client.post(
            f"{store.url}/staff",
            json={"name": "Lee", "phone": "5125550123", "role": "detailer"},
            headers=ADMIN,
        )
        lee = staffed.json()
        inbound = {
            "store_id": row.id, "from_number": "+15125550123", "to_number": row.sms_number,
            "staff_id": lee["id"], "staff_name": "Lee", "service": "tests",
        }  # fmt: skip
        async with sessions() as session, session.begin():
            await messages.record_inbound(
                session, body="7710 detail done", provider_sid="SM1", status="applied", **inbound
            )
            await messages.record_inbound(
                session, body="what about the blue one", provider_sid="SM2",
                status="needs_review", **inbound,
            )  # fmt: skip
            await messages.record_outbound(
                session, store_id=row.id, from_number=row.sms_number, to_number="+15125550123",
                body="Which unit?", staff_id=lee["id"], status="queued", kind="reply",
                service="tests",
            )  # fmt: skip
        reader = bearer(await new_token(client, store, "read"))
        url = f"{store.url}/messages"
        every = (await client.get(url, headers=reader)).json()["items"]
        assert [m["body"] for m in every] == [
            "7710 detail done",
            "what about the blue one",
            "Which unit?",
        ]
        assert every[0]["from"] == "+15125550123" and every[0]["staff"]["name"] == "Lee"
        review = (await client.get(url, params={"status": "needs_review"}, headers=reader)).json()
        assert [m["body"] for m in review["items"]] == ["what about the blue one"]
        outbound = await client.get(url, params={"direction": "outbound"}, headers=reader)
        assert [m["body"] for m in outbound.json()["items"]] == ["Which unit?"]
        by_phone = await client.get(
            url, params={"phone": "(512) 555-0123", "limit": 2}, headers=reader
        )
        assert len(by_phone.json()["items"]) == 2
        rest = await client.get(
            url,
            params={"phone": "5125550123", "cursor": by_phone.json()["next_cursor"]},
            headers=reader,
        )
        assert [m["body"] for m in rest.json()["items"]] == ["Which unit?"]
        assert (
            await client.get(url, params={"direction": "sideways"}, headers=reader)
        ).status_code == 422

        events = (await client.get(f"{store.url}/events", headers=reader)).json()["items"]
        assert [e["type"] for e in events] == [
            "message.received",
            "message.received",
            "message.sent",
        ]
        assert events[0]["text"] == "7710 detail done" and events[0]["who"] == "Lee"
        after_first = await client.get(
            f"{store.url}/events", params={"after": events[0]["id"]}, headers=reader
        )
        assert [e["seq"] for e in after_first.json()["items"]] == [e["seq"] for e in events[1:]]
        after_seq = await client.get(
            f"{store.url}/events", params={"after": events[1]["seq"], "limit": 1}, headers=reader
        )
        assert [e["type"] for e in after_seq.json()["items"]] == ["message.sent"]
        bad = await client.get(f"{store.url}/events", params={"after": "yesterday"}, headers=reader)
        assert bad.status_code == 422
