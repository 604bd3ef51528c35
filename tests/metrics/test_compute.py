"""The store metrics, checked against a hand-computed history (see tests/metrics/history.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recon.db.models import Store
from recon.domain import units
from recon.metrics import StoreMetrics, compute_store_metrics
from recon.metrics.compute import percentile, window_start
from tests.factories import API_CAUSE, make_staff, make_store, make_unit
from tests.metrics.history import NOW_OFFSET, WINDOW_DAYS, build_history, day

CHICAGO = ZoneInfo("America/Chicago")
# Local midnight of the window's first day; daylight saving began on March 9th 2025, so the
# whole window is on CDT (UTC-5).
START = datetime(2025, 3, 11, tzinfo=CHICAGO)
NOW = day(START, 0) + NOW_OFFSET


async def store_with_history(sessions: async_sessionmaker[AsyncSession]) -> Store:
    store = await make_store(sessions, timezone="America/Chicago", holding_cost_per_day=40)
    tina = await make_staff(sessions, store, role="technician", name="Tina Torres")
    dave = await make_staff(sessions, store, role="detailer", name="Dave Diaz")
    async with sessions() as session, session.begin():
        await build_history(session, store, start=START, tina=tina, dave=dave)
    # Another store's busy history must not leak into this one.
    other = await make_store(sessions, timezone="America/Chicago")
    other_staff = await make_staff(sessions, other, role="technician")
    async with sessions() as session, session.begin():
        await build_history(session, other, start=START, tina=other_staff, dave=other_staff)
    return store


@pytest.fixture
async def metrics(sessions: async_sessionmaker[AsyncSession]) -> StoreMetrics:
    store = await store_with_history(sessions)
    async with sessions() as session:
        return await compute_store_metrics(session, store=store, days=WINDOW_DAYS, now=NOW)


class TestWindow:
    def test_starts_at_local_midnight_days_minus_one_before_today(self) -> None:
        assert window_start(NOW, CHICAGO, 10) == START
        assert window_start(NOW, CHICAGO, 1) == datetime(2025, 3, 20, tzinfo=CHICAGO)

    def test_local_day_not_utc_day(self) -> None:
        late_evening = datetime(2025, 3, 21, 3, 0, tzinfo=UTC)  # still March 20th in Chicago
        assert window_start(late_evening, CHICAGO, 1) == datetime(2025, 3, 20, tzinfo=CHICAGO)

    def test_reported_in_the_store_time_zone(self, metrics: StoreMetrics) -> None:
        assert metrics.window.days == 10
        assert metrics.window.timezone == "America/Chicago"
        assert metrics.window.start == START
        assert metrics.window.start.utcoffset() == START.utcoffset()
        assert metrics.window.end == NOW


class TestUnitsNow:
    def test_counts_units_in_recon_per_stage(self, metrics: StoreMetrics) -> None:
        now = metrics.units_now
        assert now.in_recon == 2
        assert {s.stage: s.units for s in now.per_stage} == {
            "intake": 0,
            "inspection": 0,
            "mechanical": 1,
            "sublet": 1,
            "detail": 0,
            "photos": 0,
        }
        assert now.frontline == 5

    def test_blocked_by_kind(self, metrics: StoreMetrics) -> None:
        now = metrics.units_now
        assert now.blocked == 2
        assert {b.kind: b.units for b in now.blocked_by_kind} == {
            "parts": 1,
            "approval": 0,
            "vendor": 1,
            "other": 0,
        }

    def test_over_target_against_the_stage_target(self, metrics: StoreMetrics) -> None:
        now = metrics.units_now
        assert now.over_target == 1
        (unit,) = now.over_target_units
        assert (unit.stock_number, unit.stage, unit.blocker_kind) == ("E500", "sublet", "vendor")
        assert unit.hours_in_stage == 303
        assert unit.target_hours == 72
        assert unit.hours_over_target == 231


class TestDaysToFrontline:
    def test_average_median_p90_over_first_arrivals_in_the_window(
        self, metrics: StoreMetrics
    ) -> None:
        figures = metrics.days_to_frontline
        assert figures.units_reached_frontline == 4
        assert figures.average_days == 4.25
        assert figures.median_days == 4.0
        assert figures.p90_days == 7.05

    def test_daily_trend_by_local_day(self, metrics: StoreMetrics) -> None:
        trend = metrics.days_to_frontline.trend
        assert [point.date.isoformat() for point in trend] == [
            f"2025-03-{day}" for day in range(11, 21)
        ]
        reached = {
            point.date.day: (point.units_reached_frontline, point.average_days_to_frontline)
            for point in trend
            if point.units_reached_frontline
        }
        assert reached == {15: (2, 1.75), 17: (1, 6.0), 19: (1, 7.5)}
        assert trend[0].average_days_to_frontline is None


class TestDwell:
    def test_average_of_stays_that_ended_in_the_window(self, metrics: StoreMetrics) -> None:
        dwell = {s.stage: (s.stays, s.average_days) for s in metrics.dwell.stages}
        assert dwell == {
            "intake": (6, 0.75),
            "inspection": (4, 1.0),
            "mechanical": (2, 2.0),
            "sublet": (1, 3.0),
            "detail": (4, 0.5),
            "photos": (4, 0.5),
        }

    def test_bottleneck_is_the_longest_average(self, metrics: StoreMetrics) -> None:
        assert metrics.dwell.bottleneck_stage == "sublet"

    def test_targets_in_days(self, metrics: StoreMetrics) -> None:
        assert [s.target_days for s in metrics.dwell.stages] == [1, 1, 2, 3, 1, 1]


class TestHoldingCost:
    def test_units_in_recon_now(self, metrics: StoreMetrics) -> None:
        cost = metrics.holding_cost
        assert cost.cost_per_unit_day == 40
        assert cost.accruing_per_day == 80
        assert cost.accrued_by_units_in_recon == 676.67

    def test_unit_days_in_the_window(self, metrics: StoreMetrics) -> None:
        cost = metrics.holding_cost
        assert cost.unit_days_in_window == 31.42
        assert cost.cost_in_window == 1256.67

    def test_over_target_days_alone(self, metrics: StoreMetrics) -> None:
        cost = metrics.holding_cost
        assert cost.over_target_unit_days_in_window == 11.62  # 11.625 rounded half to even
        assert cost.over_target_cost_in_window == 465.0


class TestAdoption:
    def test_updates_by_people_and_by_text(self, metrics: StoreMetrics) -> None:
        adoption = metrics.adoption
        assert adoption.updates == 28
        assert adoption.texted_updates == 9
        assert adoption.texted_share == round(9 / 28, 3)

    def test_work_items_and_texts(self, metrics: StoreMetrics) -> None:
        adoption = metrics.adoption
        assert (adoption.work_items_opened, adoption.work_items_done) == (3, 2)
        assert (adoption.inbound_texts, adoption.staff_texting) == (5, 1)

    def test_updates_per_staff_member(self, metrics: StoreMetrics) -> None:
        per_staff = [
            (s.name, s.role, s.updates, s.texted_updates) for s in metrics.adoption.per_staff
        ]
        assert per_staff == [
            ("Tina Torres", "technician", 7, 7),
            ("Dave Diaz", "detailer", 3, 2),
        ]


class TestThroughTheDomain:
    """Changes made by the real domain functions show up in the figures."""

    async def test_live_changes_are_counted(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        store = await make_store(sessions, holding_cost_per_day=10)
        unit = await make_unit(sessions, store, stage="mechanical")
        await make_unit(sessions, store, stage="frontline")
        async with sessions() as session, session.begin():
            loaded = await units.get_unit(session, store_id=store.id, ref=unit.id)
            await units.block_unit(
                session, loaded, kind="approval", note="customer pay", eta=None, cause=API_CAUSE
            )
        async with sessions() as session:
            metrics = await compute_store_metrics(session, store=store, days=30)
        assert metrics.units_now.in_recon == 1
        assert metrics.units_now.frontline == 1
        assert {b.kind: b.units for b in metrics.units_now.blocked_by_kind}["approval"] == 1
        assert {s.stage: s.stays for s in metrics.dwell.stages}["intake"] == 2
        assert metrics.days_to_frontline.units_reached_frontline == 1
        assert metrics.adoption.updates == 3  # two moves and the block
        assert metrics.holding_cost.accruing_per_day == 10

    async def test_an_empty_store_has_no_averages(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        store = await make_store(sessions)
        async with sessions() as session:
            metrics = await compute_store_metrics(session, store=store, days=7)
        assert metrics.days_to_frontline.average_days is None
        assert metrics.days_to_frontline.p90_days is None
        assert len(metrics.days_to_frontline.trend) == 7
        assert metrics.dwell.bottleneck_stage is None
        assert metrics.adoption.texted_share is None
        assert metrics.holding_cost.cost_in_window == 0


class TestPercentile:
    def test_interpolates_between_closest_ranks(self) -> None:
        assert percentile([7.5, 2, 6, 1.5], 0.9) == pytest.approx(7.05)
        assert percentile([1, 2, 3, 4], 0.5) == 2.5
        assert percentile([5], 0.9) == 5
        assert percentile([], 0.5) is None
