"""GET /api/v1/stores/{slug}/metrics and its SVG charts, over the hand-computed history."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from board_api.main import create_app
from recon.db.models import Store
from recon.metrics.compute import window_start
from recon.settings import Settings
from tests.conftest import ADMIN_TOKEN
from tests.factories import make_staff, make_store
from tests.metrics.history import WINDOW_DAYS, build_history
from tests.platform.test_services import serving

SVG_NS = "{http://www.w3.org/2000/svg}"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# Stage labels are the store's own words: the charts must escape them.
LABELS = {"sublet": 'Body & Glass <"outside">', "detail": "Detail"}


@pytest.fixture(scope="module")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
async def store(sessions: async_sessionmaker[AsyncSession]) -> Store:
    """The hand-computed history, its window ending today (so "now" is the real now)."""
    store = await make_store(
        sessions, timezone="America/Chicago", holding_cost_per_day=40, stage_labels=LABELS
    )
    tina = await make_staff(sessions, store, role="technician", name="Tina Torres")
    dave = await make_staff(sessions, store, role="detailer", name="Dave Diaz")
    start = window_start(datetime.now(UTC), ZoneInfo("America/Chicago"), WINDOW_DAYS)
    async with sessions() as session, session.begin():
        await build_history(session, store, start=start, tina=tina, dave=dave)
    return store


def metrics_url(store: Store, suffix: str = "") -> str:
    return f"/api/v1/stores/{store.slug}/metrics{suffix}"


class TestMetricsEndpoint:
    async def test_returns_the_hand_computed_figures(
        self, client: httpx.AsyncClient, store: Store
    ) -> None:
        response = await client.get(metrics_url(store), params={"days": 10}, headers=ADMIN)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["store"] == store.slug
        assert body["window"]["days"] == 10
        assert body["window"]["timezone"] == "America/Chicago"
        frontline = body["days_to_frontline"]
        assert (frontline["average_days"], frontline["median_days"], frontline["p90_days"]) == (
            4.25,
            4.0,
            7.05,
        )
        assert len(frontline["trend"]) == 10
        assert [p["units_reached_frontline"] for p in frontline["trend"]] == [
            0,
            0,
            0,
            0,
            2,
            0,
            1,
            0,
            1,
            0,
        ]
        assert body["dwell"]["bottleneck_stage"] == "sublet"
        assert [s["average_days"] for s in body["dwell"]["stages"]] == [0.75, 1, 2, 3, 0.5, 0.5]
        assert body["units_now"]["in_recon"] == 2
        assert body["units_now"]["over_target_units"][0]["stock_number"] == "E500"
        assert body["holding_cost"]["accruing_per_day"] == 80
        assert body["adoption"]["texted_updates"] == 9
        assert body["adoption"]["per_staff"][0]["name"] == "Tina Torres"

    async def test_days_defaults_to_30(self, client: httpx.AsyncClient, store: Store) -> None:
        response = await client.get(metrics_url(store), headers=ADMIN)
        assert response.status_code == 200
        assert response.json()["window"]["days"] == 30
        assert len(response.json()["days_to_frontline"]["trend"]) == 30

    @pytest.mark.parametrize("days", ["0", "366", "soon"])
    async def test_a_bad_window_is_a_clear_422(
        self, client: httpx.AsyncClient, store: Store, days: str
    ) -> None:
        response = await client.get(metrics_url(store), params={"days": days}, headers=ADMIN)
        assert response.status_code == 422
        assert "days" in response.json()["detail"]


class TestAccess:
    async def test_the_store_board_token_opens_its_metrics(
        self, client: httpx.AsyncClient, store: Store
    ) -> None:
        response = await client.get(metrics_url(store), params={"board_token": store.board_token})
        assert response.status_code == 200
        assert response.json()["store"] == store.slug

    async def test_another_store_board_token_is_404(
        self, client: httpx.AsyncClient, store: Store, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        other = await make_store(sessions)
        for suffix in ("", "/charts/dwell.svg", "/charts/days-to-frontline.svg"):
            response = await client.get(
                metrics_url(store, suffix), params={"board_token": other.board_token}
            )
            assert response.status_code == 404, suffix
            assert response.json() == {"detail": f"no store {store.slug!r}"}

    async def test_no_credentials_is_401(self, client: httpx.AsyncClient, store: Store) -> None:
        response = await client.get(metrics_url(store))
        assert response.status_code == 401
        assert "Bearer" in response.json()["detail"]

    async def test_an_unknown_bearer_token_is_401(
        self, client: httpx.AsyncClient, store: Store
    ) -> None:
        response = await client.get(
            metrics_url(store), headers={"Authorization": "Bearer not-the-admin-token"}
        )
        assert response.status_code == 401

    async def test_an_unknown_store_is_404(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/stores/no-such-store/metrics", headers=ADMIN)
        assert response.status_code == 404


def parse_svg(response: httpx.Response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(response.text)
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("viewBox", "").startswith("0 0 ")
    assert root.get("width") == "100%"
    return root


def texts(root: ET.Element) -> list[str]:
    """What each <text> shows (its own characters, not those of a <title> tooltip in it)."""
    return [
        "".join([element.text or "", *(child.tail or "" for child in element)])
        for element in root.iter(f"{SVG_NS}text")
    ]


class TestDwellChart:
    async def test_one_bar_per_stage_with_the_bottleneck_highlighted(
        self, client: httpx.AsyncClient, store: Store
    ) -> None:
        response = await client.get(
            metrics_url(store, "/charts/dwell.svg"),
            params={"days": 10, "board_token": store.board_token},
        )
        root = parse_svg(response)
        bars = [r for r in root.iter(f"{SVG_NS}rect") if "bar" in (r.get("class") or "")]
        assert [bar.get("data-stage") for bar in bars] == [
            "intake",
            "inspection",
            "mechanical",
            "sublet",
            "detail",
            "photos",
        ]
        widths = {bar.get("data-stage"): float(bar.get("width", 0)) for bar in bars}
        assert widths["sublet"] == max(widths.values())
        assert widths["mechanical"] == pytest.approx(widths["sublet"] * 2 / 3, rel=0.01)
        highlighted = [
            bar.get("data-stage") for bar in bars if "bottleneck" in bar.get("class", "")
        ]
        assert highlighted == ["sublet"]
        targets = [line.get("data-stage") for line in root.iter(f"{SVG_NS}line")]
        assert targets.count("sublet") == 1

    async def test_store_stage_labels_are_escaped(
        self, client: httpx.AsyncClient, store: Store
    ) -> None:
        response = await client.get(
            metrics_url(store, "/charts/dwell.svg"), params={"days": 10}, headers=ADMIN
        )
        assert "&lt;" in response.text
        root = parse_svg(response)
        # Too long for the label column: shortened on the chart, whole in its tooltip.
        assert 'Body & Glass <"ou…' in texts(root)
        assert LABELS["sublet"] in [title.text for title in root.iter(f"{SVG_NS}title")]


class TestDaysToFrontlineChart:
    async def test_a_point_per_day_with_arrivals(
        self, client: httpx.AsyncClient, store: Store
    ) -> None:
        response = await client.get(
            metrics_url(store, "/charts/days-to-frontline.svg"),
            params={"days": 10},
            headers=ADMIN,
        )
        root = parse_svg(response)
        points = list(root.iter(f"{SVG_NS}circle"))
        assert len(points) == 3
        heights = [float(point.get("cy", 0)) for point in points]
        # 1.75, 6 and 7.5 days: later points sit higher (smaller y).
        assert heights[0] > heights[1] > heights[2]
        (line,) = root.iter(f"{SVG_NS}polyline")
        assert len(line.get("points", "").split()) == 3
        assert any(text.startswith("4 cars · average 4.2 · median 4.0") for text in texts(root))

    async def test_an_empty_window_says_so(
        self, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        empty = await make_store(sessions)
        response = await client.get(
            metrics_url(empty, "/charts/days-to-frontline.svg"),
            params={"board_token": empty.board_token},
        )
        root = parse_svg(response)
        assert not list(root.iter(f"{SVG_NS}circle"))
        assert "No car reached frontline in this window" in texts(root)


async def test_an_unknown_chart_is_a_clear_4xx(client: httpx.AsyncClient, store: Store) -> None:
    response = await client.get(metrics_url(store, "/charts/pie.svg"), headers=ADMIN)
    assert response.status_code == 422
    assert "dwell" in response.json()["detail"]
