"""The board in headless chromium: what a shop TV, a phone and a manager with a token see."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import recon.domain.units as units
from board_api.main import create_app
from ingest_sms.main import create_app as create_ingest_app
from recon.db.models import Message, Store, Unit
from recon.devstack.servers import free_port
from recon.domain.stages import BlockerKind
from recon.settings import Settings
from tests.board_api.helpers import ADMIN, live_server
from tests.conftest import TestServers
from tests.factories import API_CAUSE, make_staff, make_store, make_unit
from tests.ingest.conftest import Phone, ingest_settings
from tests.platform.test_services import serving
from tests.web.helpers import text_moving_unit, text_needing_review


def board(base_url: str, store: Store, query: str = "") -> str:
    return f"{base_url}/board/{store.board_token}{query}"


async def open_live(page: Page, url: str) -> None:
    await page.goto(url)
    await expect(page.locator("#live")).to_have_text("live")


async def block(sessions: async_sessionmaker[AsyncSession], unit: Unit, note: str) -> None:
    async with sessions() as session, session.begin():
        row = await units.get_unit(session, store_id=unit.store_id, ref=unit.id)
        await units.block_unit(
            session, row, kind=BlockerKind.PARTS, note=note, eta=None, cause=API_CAUSE
        )


async def write_token(api: httpx.AsyncClient, store: Store) -> str:
    response = await api.post(
        f"/api/v1/stores/{store.slug}/tokens",
        json={"scopes": ["read", "write"], "label": "Dana (manager)"},
        headers=ADMIN,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


async def stage_of(sessions: async_sessionmaker[AsyncSession], unit: Unit) -> str:
    async with sessions() as session:
        return str(await session.scalar(select(Unit.stage).where(Unit.id == unit.id)))


class TestColumns:
    async def test_cards_render_in_their_stage_columns(
        self, page: Page, base_url: str, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        store = await make_store(sessions)
        fresh = await make_unit(sessions, store, stock_number="A100", make="Honda", model="Civic")
        shop = await make_unit(sessions, store, stage="mechanical", stock_number="A200")
        ready = await make_unit(sessions, store, stage="frontline", stock_number="A300")
        sold = await make_unit(sessions, store, stage="sold", stock_number="A400")
        await block(sessions, shop, "rotors on order")

        await page.goto(board(base_url, store))

        await expect(page.locator(f"#col-intake #unit-{fresh.id}")).to_contain_text(
            "2019 Honda Civic"
        )
        await expect(page.locator("#col-intake h2 .count")).to_have_text("1")
        blocked = page.locator(f"#col-mechanical #unit-{shop.id}")
        await expect(blocked.locator(".blocker")).to_contain_text("parts")
        await expect(blocked.locator(".blocker")).to_contain_text("rotors on order")
        await expect(page.locator(f"#col-frontline #unit-{ready.id}")).to_contain_text(
            "Ready to sell"
        )
        await expect(page.locator(f"#unit-{sold.id}")).to_have_count(0)
        await page.get_by_label("Show sold").check()
        await expect(page.locator(f"#col-sold #unit-{sold.id}")).to_be_visible()

    async def test_an_unknown_board_link_is_404(self, api: httpx.AsyncClient) -> None:
        response = await api.get("/board/not-a-board-token")
        assert response.status_code == 404
        assert "no board at this link" in response.json()["detail"]


class TestLive:
    async def test_a_text_to_the_webhook_moves_the_card_without_reload(
        self,
        page: Page,
        base_url: str,
        servers: TestServers,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        store = await make_store(sessions)
        marco = await make_staff(sessions, store, name="Marco Diaz", role="technician")
        unit = await make_unit(sessions, store, stage="mechanical", stock_number="2231")
        await open_live(page, board(base_url, store))
        await page.evaluate("window.__sameDocument = true")

        # Texted through ingest-sms's signed webhook, exactly as Twilio delivers it.
        async with serving(create_ingest_app(ingest_settings(servers))) as ingest:
            reply = await Phone(ingest).text(
                from_number=marco.phone, to_number=store.sms_number, body="2231 brakes done ✅"
            )
        assert reply is not None and "2231" in reply

        card = page.locator(f"#col-detail #unit-{unit.id}")
        await expect(card).to_contain_text("“2231 brakes done ✅”")
        await expect(card).to_contain_text("Marco Diaz")
        await expect(page.locator(f"#col-mechanical #unit-{unit.id}")).to_have_count(0)
        await expect(page.locator("#col-detail h2 .count")).to_have_text("1")
        assert await page.evaluate("window.__sameDocument") is True  # no reload

    async def test_the_page_recovers_after_board_api_restarts(
        self,
        page: Page,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        port = free_port()
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, stock_number="R1")
        async with live_server(create_app(settings), port) as url:
            await open_live(page, board(url, store))
        await expect(page.locator("#live")).to_have_text("reconnecting…")
        # A change while board-api is down is replayed on reconnect (Last-Event-ID).
        async with sessions() as session, session.begin():
            row = await units.get_unit(session, store_id=store.id, ref=unit.id)
            await units.move_unit(session, row, to_stage="inspection", cause=API_CAUSE)
        async with live_server(create_app(settings), port):
            await expect(page.locator("#live")).to_have_text("live", timeout=15_000)
            await expect(page.locator(f"#col-inspection #unit-{unit.id}")).to_be_visible()


class TestFilters:
    async def test_search_blocked_over_target_and_stage(
        self, page: Page, base_url: str, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        # Intake's target is one hour, so a car there is over target at once.
        store = await make_store(sessions, stage_targets_hours={"intake": 1, "detail": 24})
        late = await make_unit(sessions, store, stock_number="F1", exterior_color="Black")
        async with sessions() as session, session.begin():
            row = await units.get_unit(session, store_id=store.id, ref=late.id)
            row.stage_entered_at = units.now().replace(year=2020)
        white = await make_unit(
            sessions, store, stage="detail", stock_number="F2", exterior_color="White"
        )
        blocked = await make_unit(
            sessions, store, stage="detail", stock_number="F3", exterior_color="Red"
        )
        await block(sessions, blocked, "glass")
        cards = page.locator(".card")

        await page.goto(board(base_url, store))
        await expect(cards).to_have_count(3)

        await page.get_by_placeholder("stock #").fill("white")
        await expect(cards).to_have_count(1)
        await expect(page.locator(f"#unit-{white.id}")).to_be_visible()
        await page.get_by_placeholder("stock #").fill(white.vin[-4:])
        await expect(cards).to_have_count(1)
        await expect(page.locator(f"#unit-{white.id}")).to_be_visible()
        await page.get_by_placeholder("stock #").fill("")
        await expect(cards).to_have_count(3)

        await page.get_by_label("Blocked").check()
        await expect(cards).to_have_count(1)
        await expect(page.locator(f"#unit-{blocked.id}")).to_be_visible()
        await page.get_by_label("Blocked").uncheck()

        await page.get_by_label("Over target").check()
        await expect(cards).to_have_count(1)
        await expect(page.locator(f"#unit-{late.id}")).to_have_class(re.compile(r"\bclock-over\b"))
        await expect(page).to_have_url(
            re.compile(r"over=1")
        )  # the filtered board can be bookmarked
        await page.get_by_label("Over target").uncheck()

        await page.locator("#filters select[name=stage]").select_option("detail")
        await expect(cards).to_have_count(2)
        await expect(page.locator(".column")).to_have_count(1)

    async def test_filters_in_the_link_apply_on_first_render(
        self, page: Page, base_url: str, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        store = await make_store(sessions)
        await make_unit(sessions, store, stock_number="Q1")
        await make_unit(sessions, store, stock_number="Q2", stage="photos")
        await page.goto(board(base_url, store, "?stage=photos&tv=1"))
        await expect(page.locator(".card")).to_have_count(1)
        await expect(page.locator("body")).to_have_class(re.compile(r"\btv\b"))


class TestActions:
    async def test_a_move_from_the_drawer_changes_the_unit(
        self,
        page: Page,
        base_url: str,
        api: httpx.AsyncClient,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        store = await make_store(sessions)
        unit = await make_unit(sessions, store, stage="inspection", stock_number="M1")
        token = await write_token(api, store)
        await open_live(page, board(base_url, store))
        await page.locator(f"#unit-{unit.id}").click()
        drawer = page.locator("#drawer")
        await expect(drawer).to_contain_text("#M1")
        await expect(drawer.locator(".actions")).to_be_hidden()  # read-only without a token

        await drawer.get_by_role("button", name="Make changes").click()
        await page.locator("#token-input").fill(token)
        await page.locator("#token-save").click()
        await expect(drawer.locator(".actions")).to_be_visible()
        await drawer.get_by_label("Stage").select_option("mechanical")
        await drawer.get_by_role("button", name="Move").click()
        await expect(page.locator(f"#col-mechanical #unit-{unit.id}")).to_be_visible()
        assert await stage_of(sessions, unit) == "mechanical"

        await drawer.get_by_label("Work items").fill("front brakes, alignment")
        await drawer.get_by_role("button", name="Open work").click()
        await expect(page.locator(f"#unit-{unit.id} .work li")).to_have_count(2)
        await drawer.get_by_role("button", name="Acknowledge").click()
        await expect(page.locator(f"#unit-{unit.id} .acks")).to_contain_text("Dana (manager)")
        await expect(drawer.locator(".timeline")).to_contain_text(
            "moved from Inspection → Mechanical"
        )
        response = await api.get(f"/api/v1/stores/{store.slug}/units/M1", headers=ADMIN)
        assert [w["name"] for w in response.json()["work_items"]] == ["front brakes", "alignment"]

    async def test_a_text_needing_review_is_resolved_from_the_board(
        self,
        page: Page,
        base_url: str,
        api: httpx.AsyncClient,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        store = await make_store(sessions)
        luis = await make_staff(sessions, store, role="detailer", name="Luis Ortega")
        unit = await make_unit(sessions, store, stage="detail", stock_number="N7")
        token = await write_token(api, store)
        await open_live(page, board(base_url, store))
        await page.evaluate(
            "([key, token]) => sessionStorage.setItem(key, token)",
            [f"recon-board-token:{store.slug}", token],
        )
        await page.reload()
        message = await text_needing_review(sessions, store, luis, body="the blue one is shiny")

        item = page.locator(f".review-item[data-message='{message.id}']")
        await expect(item).to_contain_text("the blue one is shiny")  # arrived live
        await item.get_by_label("Unit").fill("N7")
        await item.get_by_label("Action").select_option("move:photos")
        await item.get_by_role("button", name="Resolve").click()

        await expect(item).to_have_count(0)
        await expect(page.locator(f"#col-photos #unit-{unit.id}")).to_be_visible()
        assert await stage_of(sessions, unit) == "photos"
        async with sessions() as session:
            row = await session.get(Message, message.id)
        assert row is not None
        assert row.status == "resolved"
        assert row.unit_ids == [unit.id]
        assert row.interpretation["resolution"]["action"] == "moved to photos"


class TestDrawer:
    async def test_shows_each_text_with_what_it_was_understood_to_mean(
        self, page: Page, base_url: str, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        store = await make_store(sessions)
        amy = await make_staff(sessions, store, role="photographer", name="Amy Chen")
        unit = await make_unit(sessions, store, stage="photos", stock_number="D9")
        await text_moving_unit(
            sessions, store, amy, unit_id=unit.id, body="D9 pics up", to_stage="frontline"
        )
        await page.goto(board(base_url, store))
        await page.locator(f"#unit-{unit.id}").click()
        text = page.locator("#drawer .timeline .entry").first
        await expect(text).to_contain_text("Amy Chen")
        await expect(text).to_contain_text("“D9 pics up”")
        await expect(text).to_contain_text("understood: D9: to frontline")
        await expect(text).to_contain_text("moved from Photos → Frontline")
        await expect(page.locator("#drawer .facts")).to_contain_text(unit.vin)


class TestLayouts:
    async def test_a_phone_shows_one_stage_at_a_time_behind_tabs(
        self, page: Page, base_url: str, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        store = await make_store(sessions)
        first = await make_unit(sessions, store, stage="inspection", stock_number="P1")
        second = await make_unit(sessions, store, stage="detail", stock_number="P2")
        await page.set_viewport_size({"width": 390, "height": 844})
        await page.goto(board(base_url, store))
        await expect(page.locator(f"#unit-{first.id}")).to_be_visible()
        await expect(page.locator(f"#unit-{second.id}")).to_be_hidden()
        await page.locator(".tab[data-tab='detail']").click()
        await expect(page.locator(f"#unit-{second.id}")).to_be_visible()
        await expect(page.locator(f"#unit-{first.id}")).to_be_hidden()


class TestMetricsPage:
    async def test_shows_the_figures_and_both_charts(
        self, page: Page, base_url: str, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        store = await make_store(sessions)
        for number in ("K1", "K2", "K3"):
            await make_unit(sessions, store, stage="mechanical", stock_number=number)
        await page.goto(board(base_url, store, "/metrics?days=7"))
        await expect(page.locator("#m-in-recon")).to_have_text("3")
        for chart in ("#chart-dwell", "#chart-frontline"):
            image = page.locator(chart)
            await expect(image).to_be_visible()
            loaded = await image.evaluate("img => img.complete && img.naturalWidth > 0")
            assert loaded, chart
