"""The bulk inventory sync against real Postgres: upsert by VIN, full and delta, restore,
every rejection reason, moving stock numbers, serialised syncs, and exactly one event per
change."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from recon.domain import units
from recon.domain.inventory import SyncMode, sync_inventory
from recon.events.types import VehicleFields
from tests.factories import INVENTORY_CAUSE, make_store, make_unit, random_vin
from tests.inventory.helpers import (
    FEED_CAUSE,
    Sessions,
    events_of,
    sync,
    units_by_vin,
    vehicle,
    wrong_check_digit,
)


def changes_of(event_data: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {name: (c["old"], c["new"]) for name, c in event_data["changes"].items()}


class TestUpsert:
    async def test_new_cars_join_the_board_at_intake_with_one_created_event_each(
        self, sessions: Sessions
    ) -> None:
        store = await make_store(sessions, timezone="America/Chicago")
        feed = [vehicle(), vehicle(), vehicle(received_at=None)]
        result = await sync(sessions, store, feed)

        assert (result.created, result.updated, result.unchanged, result.removed) == (3, 0, 0, 0)
        assert result.rejected == []
        cars = await units_by_vin(sessions, store)
        first = cars[feed[0]["vin"]]
        assert (first.stage, first.stock_number, first.year, first.make, first.model) == (
            "intake",
            feed[0]["stock_number"],
            2021,
            "Ford",
            "F-150",
        )
        assert (first.trim, first.exterior_color, first.mileage, first.version) == (
            "XLT",
            "Blue",
            30123,
            1,
        )
        # A date alone is the start of that day at the store.
        assert first.received_at == datetime(2024, 5, 1, 5, 0, tzinfo=UTC)
        assert cars[feed[2]["vin"]].received_at is not None

        events = await events_of(sessions, store)
        assert [e.type for e in events] == ["unit.created"] * 3
        assert {e.unit_id for e in events} == {car.id for car in cars.values()}
        created = next(e for e in events if e.unit_id == first.id)
        assert created.data["vehicle"]["vin"] == first.vin
        assert created.data["vehicle"]["received_at"].startswith("2024-05-01T05:00:00")
        assert (created.data["stage"], created.data["version"]) == ("intake", 1)
        assert [e.seq for e in events] == [1, 2, 3]

    async def test_changed_fields_emit_one_updated_event_with_exactly_the_changes(
        self, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        feed = [vehicle(), vehicle(), vehicle()]
        await sync(sessions, store, feed)
        feed[1] = {**feed[1], "mileage": 31000, "exterior_color": "Oxford White"}

        result = await sync(sessions, store, feed)

        assert (result.created, result.updated, result.unchanged, result.removed) == (0, 1, 2, 0)
        car = (await units_by_vin(sessions, store))[feed[1]["vin"]]
        assert (car.mileage, car.exterior_color, car.version) == (31000, "Oxford White", 2)
        updates = [e for e in await events_of(sessions, store) if e.type == "unit.updated"]
        assert len(updates) == 1
        assert updates[0].unit_id == car.id
        assert changes_of(updates[0].data) == {
            "mileage": (30123, 31000),
            "exterior_color": ("Blue", "Oxford White"),
        }
        assert updates[0].data["version"] == 2

    async def test_the_same_feed_twice_is_all_unchanged_and_silent(
        self, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        feed = [vehicle() for _ in range(20)] + [vehicle(received_at=None, trim=None)]
        await sync(sessions, store, feed)
        before = await units_by_vin(sessions, store)
        events_before = len(await events_of(sessions, store))

        again = await sync(sessions, store, feed)

        assert (again.created, again.updated, again.unchanged, again.removed) == (0, 0, 21, 0)
        assert len(await events_of(sessions, store)) == events_before
        after = await units_by_vin(sessions, store)
        assert {v: u.version for v, u in after.items()} == {v: u.version for v, u in before.items()}

    async def test_fields_a_row_leaves_out_are_kept(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        row = vehicle()
        await sync(sessions, store, [row])

        result = await sync(
            sessions,
            store,
            [{"vin": row["vin"], "stock_number": row["stock_number"], "mileage": 40000}],
            mode="delta",
        )

        assert result.updated == 1
        car = (await units_by_vin(sessions, store))[row["vin"]]
        assert (car.make, car.model, car.trim, car.mileage) == ("Ford", "F-150", "XLT", 40000)

    async def test_bulk_and_single_unit_paths_see_the_same_changes(
        self, sessions: Sessions
    ) -> None:
        bulk_store, single_store = await make_store(sessions), await make_store(sessions)
        row = vehicle(received_at=None)
        await sync(sessions, bulk_store, [row])
        await make_unit(
            sessions, single_store, **{k: v for k, v in row.items() if k != "received_at"}
        )
        changed = {**row, "stock_number": row["stock_number"] + "A", "mileage": 1, "trim": None}

        await sync(sessions, bulk_store, [changed])
        async with sessions() as session, session.begin():
            unit = await units.get_unit(session, store_id=single_store.id, ref=row["stock_number"])
            await units.update_vehicle(
                session, unit, vehicle=VehicleFields(**changed), cause=INVENTORY_CAUSE
            )

        bulk_update = (await events_of(sessions, bulk_store))[-1]
        single_update = (await events_of(sessions, single_store))[-1]
        assert bulk_update.type == single_update.type == "unit.updated"
        assert changes_of(bulk_update.data) == changes_of(single_update.data)
        assert set(changes_of(bulk_update.data)) == {"stock_number", "mileage", "trim"}

    async def test_a_back_dated_import_records_its_own_time(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        at = datetime(2024, 1, 2, 15, 0, tzinfo=UTC)
        async with sessions() as session, session.begin():
            await sync_inventory(
                session,
                store_id=store.id,
                mode="full",
                rows=[vehicle(received_at=None)],
                cause=replace(FEED_CAUSE, at=at),
            )
        (car,) = (await units_by_vin(sessions, store)).values()
        assert (car.received_at, car.stage_entered_at) == (at, at)
        assert (await events_of(sessions, store))[0].created_at == at


class TestFullAndDelta:
    async def test_full_removes_unsold_cars_missing_from_the_feed(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        kept, gone, sold = vehicle(), vehicle(), vehicle()
        await sync(sessions, store, [kept, gone, sold])
        sold_unit = (await units_by_vin(sessions, store))[sold["vin"]]
        async with sessions() as session, session.begin():
            unit = await units.get_unit(session, store_id=store.id, ref=sold_unit.id)
            await units.move_unit(session, unit, to_stage="sold", cause=INVENTORY_CAUSE)

        result = await sync(sessions, store, [kept], mode="full")

        assert (result.unchanged, result.removed) == (1, 1)
        cars = await units_by_vin(sessions, store)
        assert cars[gone["vin"]].removed_at is not None  # kept with its history, off the board
        assert cars[sold["vin"]].removed_at is None
        assert cars[kept["vin"]].removed_at is None
        removals = [e for e in await events_of(sessions, store) if e.type == "unit.removed"]
        assert [e.unit_id for e in removals] == [cars[gone["vin"]].id]
        assert removals[0].data["version"] == cars[gone["vin"]].version == 2

    async def test_delta_never_removes(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        first, second = vehicle(), vehicle()
        await sync(sessions, store, [first, second])

        result = await sync(sessions, store, [{**first, "mileage": 99}], mode=SyncMode.DELTA)

        assert (result.updated, result.removed) == (1, 0)
        assert all(u.removed_at is None for u in (await units_by_vin(sessions, store)).values())

    async def test_a_removed_car_that_comes_back_is_restored(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        stays, returns = vehicle(), vehicle()
        await sync(sessions, store, [stays, returns])
        await sync(sessions, store, [stays])

        result = await sync(sessions, store, [stays, returns])

        assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
        car = (await units_by_vin(sessions, store))[returns["vin"]]
        assert (car.removed_at, car.stage, car.version) == (None, "intake", 3)
        last = (await events_of(sessions, store))[-1]
        assert (last.type, last.unit_id) == ("unit.updated", car.id)
        assert changes_of(last.data) == {"removed": (True, False)}

    async def test_a_car_whose_row_is_rejected_stays_on_the_board(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        good, later_bad = vehicle(), vehicle()
        await sync(sessions, store, [good, later_bad])

        result = await sync(sessions, store, [good, {**later_bad, "mileage": -5}])

        assert (result.removed, len(result.rejected)) == (0, 1)
        assert (await units_by_vin(sessions, store))[later_bad["vin"]].removed_at is None


class TestRejections:
    @pytest.mark.parametrize(
        ("change", "reason"),
        [
            ({"vin": "1HGCM82633A00435"}, "vin must be 17 characters, not 16"),
            ({"vin": "1HGCM8263OA004352"}, "vin must not contain O"),
            ("wrong check digit", "vin check digit (position 9)"),
            ({"vin": None}, "vin is missing"),
            ({"stock_number": "  "}, "stock_number is missing"),
            ({"year": 1850}, "year 1850 is out of range"),
            ({"year": "twenty"}, "year must be a whole number"),
            ({"mileage": -1}, "mileage -1 must be a non-negative whole number"),
            ({"mileage": "12.5k"}, "mileage must be a whole number"),
            ({"mileage": 12.5}, "mileage must be a whole number"),
            ({"received_at": "last tuesday"}, "received_at 'last tuesday' is not a date"),
            ({"make": "x" * 65}, "make is longer than 64 characters"),
        ],
    )
    async def test_each_reason_rejects_the_row_and_keeps_the_rest(
        self, sessions: Sessions, change: dict[str, Any] | str, reason: str
    ) -> None:
        store = await make_store(sessions)
        bad = vehicle()
        bad = (
            {**bad, "vin": wrong_check_digit(bad["vin"])}
            if change == "wrong check digit"
            else {**bad, **change}  # type: ignore[dict-item]
        )
        feed = [vehicle(), bad, vehicle()]

        result = await sync(sessions, store, feed)

        assert result.created == 2
        assert len(result.rejected) == 1
        rejected = result.rejected[0]
        assert rejected.index == 1
        assert rejected.vin == (bad["vin"].strip() if bad["vin"] else None)
        assert rejected.stock_number == bad["stock_number"].strip()
        assert any(reason in error for error in rejected.errors), rejected.errors
        assert len(await units_by_vin(sessions, store)) == 2

    async def test_every_reason_of_a_row_is_reported(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        result = await sync(
            sessions, store, [vehicle(vin="ABC", stock_number="", year=3000, mileage=-2)]
        )
        errors = result.rejected[0].errors
        assert len(errors) == 4, errors
        assert errors[0] == "vin must be 17 characters, not 3"
        assert errors[1] == "stock_number is missing"

    async def test_a_row_that_is_not_an_object_is_rejected(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        result = await sync(sessions, store, [vehicle(), "1HGCM82633A004352"])
        assert result.created == 1
        assert result.rejected[0].index == 1
        assert result.rejected[0].errors == ["a vehicle must be an object with fields"]

    async def test_two_cars_with_one_stock_number_are_both_rejected(
        self, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        feed = [vehicle(stock_number="7710"), vehicle(), vehicle(stock_number="7710 ")]

        result = await sync(sessions, store, feed)

        assert result.created == 1
        assert [r.index for r in result.rejected] == [0, 2]
        for rejected in result.rejected:
            assert rejected.errors == [
                "stock number 7710 is listed more than once in this feed (rows 0, 2)"
            ]

    async def test_stock_numbers_differing_only_in_case_are_one_stock_number(
        self, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        result = await sync(
            sessions, store, [vehicle(stock_number="a12"), vehicle(stock_number="A12")]
        )
        assert (result.created, len(result.rejected)) == (0, 2)

    async def test_one_vin_listed_twice_is_rejected_both_times(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        vin = random_vin()
        result = await sync(sessions, store, [vehicle(vin=vin), vehicle(vin=vin.lower())])
        assert result.created == 0
        assert [r.index for r in result.rejected] == [0, 1]
        assert "is listed more than once" in result.rejected[0].errors[0]

    async def test_a_stock_number_held_by_a_car_the_delta_leaves_alone_is_rejected(
        self, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        holder = vehicle(stock_number="2231")
        await sync(sessions, store, [holder])

        result = await sync(sessions, store, [vehicle(stock_number="2231")], mode="delta")

        assert result.created == 0
        assert result.rejected[0].errors == [
            f"stock number 2231 already belongs to VIN {holder['vin']}, which this feed "
            "leaves as is"
        ]

    async def test_a_stock_number_held_by_a_sold_car_is_rejected_in_a_full_feed(
        self, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        sold = await make_unit(sessions, store, stage="sold", stock_number="5001")

        result = await sync(sessions, store, [vehicle(stock_number="5001")], mode="full")

        assert result.created == 0
        assert result.rejected[0].errors == [
            f"stock number 5001 already belongs to VIN {sold.vin}, which is sold"
        ]


class TestMovingStockNumbers:
    async def test_two_cars_may_swap_stock_numbers_in_one_feed(self, sessions: Sessions) -> None:
        store = await make_store(sessions)
        first, second = vehicle(stock_number="100"), vehicle(stock_number="200")
        await sync(sessions, store, [first, second])

        result = await sync(
            sessions,
            store,
            [{**first, "stock_number": "200"}, {**second, "stock_number": "100"}],
        )

        assert (result.updated, result.rejected) == (2, [])
        cars = await units_by_vin(sessions, store)
        assert (cars[first["vin"]].stock_number, cars[second["vin"]].stock_number) == ("200", "100")

    async def test_a_re_lettered_stock_number_frees_the_old_one_for_a_new_car(
        self, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        old = vehicle(stock_number="4411")
        await sync(sessions, store, [old])
        newcomer = vehicle(stock_number="4411")

        result = await sync(sessions, store, [{**old, "stock_number": "4411A"}, newcomer])

        assert (result.created, result.updated, result.rejected) == (1, 1, [])
        cars = await units_by_vin(sessions, store)
        assert cars[old["vin"]].stock_number == "4411A"
        assert cars[newcomer["vin"]].stock_number == "4411"

    async def test_a_car_leaving_a_full_feed_frees_its_stock_number(
        self, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        leaving = vehicle(stock_number="9000")
        await sync(sessions, store, [leaving])

        result = await sync(sessions, store, [vehicle(stock_number="9000")], mode="full")

        assert (result.created, result.removed, result.rejected) == (1, 1, [])

    async def test_a_collision_left_by_a_rejected_row_rejects_the_row_that_needed_it(
        self, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        first = vehicle(stock_number="300")
        await sync(sessions, store, [first])
        # first wants a new number but its row is bad, so 300 stays taken.
        result = await sync(
            sessions,
            store,
            [{**first, "stock_number": "301", "year": 1700}, vehicle(stock_number="300")],
        )

        assert result.created == 0
        assert [r.index for r in result.rejected] == [0, 1]
        assert "whose own row in this feed was rejected" in result.rejected[1].errors[0]
        assert (await units_by_vin(sessions, store))[first["vin"]].removed_at is None


class TestSerialised:
    async def test_two_syncs_of_one_store_at_once_never_interleave(
        self, sessions: Sessions
    ) -> None:
        store = await make_store(sessions)
        feed = [vehicle() for _ in range(300)]

        first, second = await asyncio.gather(
            sync(sessions, store, feed), sync(sessions, store, feed)
        )

        assert sorted([first.created, second.created]) == [0, 300]
        assert sorted([first.unchanged, second.unchanged]) == [0, 300]
        events = await events_of(sessions, store)
        assert [e.type for e in events] == ["unit.created"] * 300
        assert [e.seq for e in events] == list(range(1, 301))
