"""The inventory feed applied in bulk: validate each row, upsert by VIN within the store, remove
what a full feed no longer lists, and log exactly one event per unit that changed.

The rules are the single-unit ones of `units.py` (`create_unit`, `update_vehicle`,
`remove_unit`) applied to a whole feed with set-based SQL: a 10,000-car feed is a handful of
statements, not 10,000 round trips. What counts as a change is `units.vehicle_changes`, shared
by both paths. Like every domain function this flushes and never commits.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import String, any_, bindparam, func, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from recon.db.models import Store, Unit
from recon.domain.errors import NotFound, StaleUnit
from recon.domain.event_log import Cause, PendingEvent, append_events, lock_store_events
from recon.domain.stages import Stage
from recon.domain.units import VEHICLE_FIELDS, now, vehicle_changes
from recon.events import types as ev
from recon.vin import normalise_vin, vin_problems

REMOVED_REASON = "no longer in the inventory feed"
MIN_YEAR = 1900
MAX_MILEAGE = 9_999_999
TEXT_LIMITS = {"stock_number": 32, "make": 64, "model": 64, "trim": 64, "exterior_color": 64}
# A car's day in stock: since this (older is a typo or a placeholder) and at most a year ahead
# (some DMSs date a car in transit by its expected arrival).
EARLIEST_RECEIVED = datetime(1980, 1, 1, tzinfo=UTC)
LATEST_RECEIVED_AHEAD = timedelta(days=366)
DESCRIPTIVE_FIELDS = ("make", "model", "trim", "exterior_color")
DATE_FORMATS = (
    "%m/%d/%Y",
    "%m/%d/%y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m-%d-%Y",
    "%d-%b-%Y",
    "%b %d %Y",
)


class SyncMode(StrEnum):
    FULL = "full"  # the feed is the whole inventory: what it does not list leaves the board
    DELTA = "delta"  # the feed lists some cars: nothing is removed


@dataclass(frozen=True, slots=True)
class RejectedRow:
    index: int
    vin: str | None
    stock_number: str | None
    errors: list[str]


@dataclass(slots=True)
class SyncResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)


# --- one row -------------------------------------------------------------------------------


def parse_vehicle(raw: Mapping[str, Any], *, tz: ZoneInfo) -> ev.VehicleFields | list[str]:
    """A feed row (JSON values or CSV text) as the vehicle it describes, or every reason it is
    not one. Keys the row does not have stay unset, so an update keeps those fields."""
    errors: list[str] = []
    clean: dict[str, Any] = {}

    vin = raw.get("vin")
    if vin is None or isinstance(vin, str):
        clean["vin"] = normalise_vin(vin or "")
        errors += vin_problems(clean["vin"])
    else:
        errors.append("vin must be text")

    stock = raw.get("stock_number")
    if isinstance(stock, int) and not isinstance(stock, bool):
        stock = str(stock)
    if stock is None or isinstance(stock, str):
        clean["stock_number"] = " ".join((stock or "").split())
        if not clean["stock_number"]:
            errors.append("stock_number is missing")
    else:
        errors.append("stock_number must be text")

    if "year" in raw:
        clean["year"] = _whole_number(raw["year"], "year", errors)
        latest = datetime.now(UTC).year + 2
        if clean["year"] is not None and not MIN_YEAR <= clean["year"] <= latest:
            errors.append(f"year {clean['year']} is out of range ({MIN_YEAR} to {latest})")
    if "mileage" in raw:
        clean["mileage"] = _whole_number(raw["mileage"], "mileage", errors)
        if clean["mileage"] is not None and not 0 <= clean["mileage"] <= MAX_MILEAGE:
            errors.append(
                f"mileage {clean['mileage']} must be a non-negative whole number "
                f"up to {MAX_MILEAGE:,}"
            )
    for name in DESCRIPTIVE_FIELDS:
        if name in raw:
            clean[name] = _text(raw[name], name, errors)
    if "received_at" in raw:
        clean["received_at"] = _moment(raw["received_at"], tz, errors)

    for name, limit in TEXT_LIMITS.items():
        value = clean.get(name)
        if isinstance(value, str) and len(value) > limit:
            errors.append(f"{name} is longer than {limit} characters")
    if errors:
        return errors
    return ev.VehicleFields(**clean)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _whole_number(value: Any, name: str, errors: list[str]) -> int | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        errors.append(f"{name} must be a whole number, not {value!r}")
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        # DMS exports write "42,000" and, from spreadsheets, "42000.0".
        digits = value.strip().replace(",", "").replace("_", "").removesuffix(".0")
        if digits.lstrip("-").isdigit():
            return int(digits)
    errors.append(f"{name} must be a whole number, not {value!r}")
    return None


def _text(value: Any, name: str, errors: list[str]) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # a model called 300 or 911 arrives as a JSON number
    if not isinstance(value, str):
        errors.append(f"{name} must be text")
        return None
    return " ".join(value.split())


def _moment(value: Any, tz: ZoneInfo, errors: list[str]) -> datetime | None:
    """A date or time in any common export format; one without a zone is the store's local
    time (a date alone is that day's start)."""
    if _blank(value):
        return None
    if not isinstance(value, str):
        errors.append(f"received_at must be a date, not {value!r}")
        return None
    text_value = value.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text_value.replace(" Z", "Z"))
    except ValueError:
        for pattern in DATE_FORMATS:
            try:
                parsed = datetime.strptime(text_value, pattern)
                break
            except ValueError:
                continue
    if parsed is None:
        errors.append(f"received_at {text_value!r} is not a date (use YYYY-MM-DD or MM/DD/YYYY)")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    try:
        moment = parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01 east of UTC, 9999-12-31 west of it
        moment = None
    if moment is None or not EARLIEST_RECEIVED <= moment <= now() + LATEST_RECEIVED_AHEAD:
        errors.append(
            f"received_at {text_value!r} is out of range: give the day the car arrived "
            f"(from {EARLIEST_RECEIVED.year} to a year from now)"
        )
        return None
    return moment


# --- a whole feed --------------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    index: int
    raw: Mapping[str, Any]
    vin: str
    stock_number: str
    errors: list[str]
    vehicle: ev.VehicleFields | None = None

    @property
    def stock_key(self) -> str:
        """Stock numbers name one active car case-insensitively."""
        return self.stock_number.lower()

    def reject(self, reason: str) -> None:
        self.errors.append(reason)
        self.vehicle = None


async def sync_inventory(
    session: AsyncSession,
    *,
    store_id: uuid.UUID,
    mode: SyncMode | str,
    rows: Sequence[Mapping[str, Any]],
    cause: Cause,
) -> SyncResult:
    """Apply one feed to the store's units; bad rows are rejected with every reason, the rest
    applied. Two syncs of one store are serialised by the store's event lock."""
    mode = SyncMode(mode)
    timezone = await session.scalar(select(Store.timezone).where(Store.id == store_id))
    if timezone is None:
        raise NotFound("no such store")
    feed = _validate(rows, _zone(timezone))

    await lock_store_events(session, store_id)
    existing = await _load_units(session, store_id=store_id, mode=mode, feed=feed)
    by_vin = {unit["vin"]: unit for unit in existing}
    removals = _removals(existing, feed) if mode == SyncMode.FULL else []
    _reject_stock_collisions(feed, existing, removals)

    result = SyncResult()
    creates: list[ev.VehicleFields] = []
    updates: list[tuple[dict[str, Any], dict[str, ev.FieldChange]]] = []
    for row in feed:
        if row.vehicle is None:
            result.rejected.append(_rejected(row))
            continue
        unit = by_vin.get(row.vin)
        if unit is None:
            creates.append(row.vehicle)
            continue
        changes = vehicle_changes(unit, row.vehicle, removed=unit["removed_at"] is not None)
        if changes:
            updates.append((unit, changes))
        else:
            result.unchanged += 1

    at = cause.when()
    events: list[PendingEvent] = []
    events += await _remove(session, removals, cause=cause, at=at)
    events += await _update(session, updates, cause=cause, at=at)
    events += await _create(session, store_id, creates, cause=cause, at=at)
    await append_events(session, store_id=store_id, service=cause.service, events=events)
    result.created, result.updated, result.removed = len(creates), len(updates), len(removals)
    return result


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return ZoneInfo("UTC")  # a store saved with a bad zone still syncs; dates read as UTC


def _validate(rows: Sequence[Mapping[str, Any]], tz: ZoneInfo) -> list[_Row]:
    """Each row parsed on its own, then the feed as a whole: a VIN or a stock number listed
    twice makes both rows ambiguous, so both are rejected."""
    feed: list[_Row] = []
    for index, raw in enumerate(rows):
        if not isinstance(raw, Mapping):
            feed.append(_Row(index, {}, "", "", ["a vehicle must be an object with fields"]))
            continue
        parsed = parse_vehicle(raw, tz=tz)
        vin = normalise_vin(raw["vin"]) if isinstance(raw.get("vin"), str) else ""
        stock = raw.get("stock_number")
        stock_number = " ".join(str(stock).split()) if stock is not None else ""
        if isinstance(parsed, list):
            feed.append(_Row(index, raw, vin, stock_number, parsed))
        else:
            feed.append(_Row(index, raw, vin, stock_number, [], parsed))
    _reject_repeats(feed, "vin", lambda row: (row.vin, row.vin))
    _reject_repeats(feed, "stock number", lambda row: (row.stock_key, row.stock_number))
    return feed


def _reject_repeats(feed: list[_Row], name: str, key: Callable[[_Row], tuple[str, str]]) -> None:
    """Reject every row whose key (VIN, or stock number) another row of the feed shares."""
    positions: dict[str, list[_Row]] = defaultdict(list)
    for row in feed:
        value, _ = key(row)
        if value:
            positions[value].append(row)
    for repeated in positions.values():
        if len(repeated) < 2:
            continue
        indexes = ", ".join(str(row.index) for row in repeated)
        for row in repeated:
            row.reject(
                f"{name} {key(row)[1]} is listed more than once in this feed (rows {indexes})"
            )


async def _load_units(
    session: AsyncSession, *, store_id: uuid.UUID, mode: SyncMode, feed: list[_Row]
) -> list[dict[str, Any]]:
    """The store's units a feed can touch: those it names by VIN (removed ones too, to restore
    them) and the active ones holding its stock numbers; for a full feed also every active
    unsold unit, which it may remove. Years of removed and sold cars are never read."""
    vins = [row.vin for row in feed if row.vin]
    stocks = [row.stock_key for row in feed if row.stock_key]
    holds_a_feed_stock = func.lower(Unit.stock_number) == any_(
        bindparam("stocks", stocks, type_=ARRAY(String))
    )
    active_and_relevant = (
        or_(Unit.stage != Stage.SOLD.value, holds_a_feed_stock)
        if mode == SyncMode.FULL
        else holds_a_feed_stock
    )
    columns = [getattr(Unit, name) for name in VEHICLE_FIELDS]
    query = select(Unit.id, Unit.version, Unit.stage, Unit.removed_at, *columns).where(
        Unit.store_id == store_id
    )
    # Two queries rather than one with OR, so each can use its index ((store_id, vin) and the
    # active stock-number index) instead of filtering every unit of the store.
    named = query.where(Unit.vin == any_(bindparam("vins", vins, type_=ARRAY(String))))
    active = query.where(Unit.removed_at.is_(None), active_and_relevant)
    units: dict[uuid.UUID, dict[str, Any]] = {}
    for part in (named, active):
        for row in await session.execute(part):
            units[row.id] = dict(row._mapping)
    return list(units.values())


def _removals(existing: list[dict[str, Any]], feed: list[_Row]) -> list[dict[str, Any]]:
    """Active, unsold units a full feed does not list. A car whose row was rejected is still
    in the dealer's inventory, so it stays, whether its row is matched by VIN or stock number."""
    listed_vins = {row.vin for row in feed if row.vin}
    rejected_stocks = {row.stock_key for row in feed if row.vehicle is None and row.stock_key}
    return [
        unit
        for unit in existing
        if unit["removed_at"] is None
        and unit["stage"] != Stage.SOLD
        and unit["vin"] not in listed_vins
        and unit["stock_number"].lower() not in rejected_stocks
    ]


def _reject_stock_collisions(
    feed: list[_Row], existing: list[dict[str, Any]], removals: list[dict[str, Any]]
) -> None:
    """Reject a row whose stock number stays with another car after this sync.

    Stock numbers may move between cars of one feed (re-lettered stock numbers); they may not
    take the number of an active car the feed leaves alone. Rejecting a row leaves its car
    on its old number, which can collide with another row in turn, hence the loop.
    """
    removed_ids = {unit["id"] for unit in removals}
    active = [u for u in existing if u["removed_at"] is None and u["id"] not in removed_ids]
    listed_vins = {row.vin for row in feed}
    while True:
        applied_vins = {row.vin for row in feed if row.vehicle is not None}
        holders = {u["stock_number"].lower(): u for u in active if u["vin"] not in applied_vins}
        collided = False
        for row in feed:
            holder = holders.get(row.stock_key) if row.vehicle is not None else None
            if holder is None or holder["vin"] == row.vin:
                continue
            why = (
                "which is sold" if holder["stage"] == Stage.SOLD else "which this feed leaves as is"
            )
            if holder["vin"] in listed_vins:
                why = "whose own row in this feed was rejected"
            row.reject(
                f"stock number {holder['stock_number']} already belongs to VIN {holder['vin']}, "
                f"{why}"
            )
            collided = True
        if not collided:
            return


def _rejected(row: _Row) -> RejectedRow:
    vin = row.raw.get("vin")
    stock = row.raw.get("stock_number")
    return RejectedRow(
        index=row.index,
        vin=str(vin).strip() if vin is not None else None,
        stock_number=str(stock).strip() if stock is not None else None,
        errors=row.errors,
    )


# --- set-based writes ----------------------------------------------------------------------


def _pending(data: ev.UnitEventData, unit_id: uuid.UUID, cause: Cause) -> PendingEvent:
    return PendingEvent(
        data=data,
        subject=unit_id,
        unit_id=unit_id,
        actor=cause.actor,
        source=cause.source,
        message_id=cause.message_id,
        at=cause.at,
    )


def _base(unit_id: uuid.UUID, stock_number: str, version: int, cause: Cause) -> dict[str, Any]:
    return {
        "unit_id": unit_id,
        "stock_number": stock_number,
        "version": version,
        "actor": cause.actor,
        "source": cause.source,
        "message_id": cause.message_id,
    }


async def _remove(
    session: AsyncSession, units: list[dict[str, Any]], *, cause: Cause, at: datetime
) -> list[PendingEvent]:
    if not units:
        return []
    await _expect_rows(
        session,
        text(
            "UPDATE units SET removed_at = :at, updated_at = :at, version = units.version + 1 "
            "FROM unnest(CAST(:ids AS uuid[]), CAST(:versions AS int[])) AS f(id, version) "
            "WHERE units.id = f.id AND units.version = f.version"
        ),
        {"at": at, "ids": [u["id"] for u in units], "versions": [u["version"] for u in units]},
        expected=len(units),
    )
    return [
        _pending(
            ev.UnitRemoved(
                **_base(u["id"], u["stock_number"], u["version"] + 1, cause), reason=REMOVED_REASON
            ),
            u["id"],
            cause,
        )
        for u in units
    ]


async def _update(
    session: AsyncSession,
    updates: list[tuple[dict[str, Any], dict[str, ev.FieldChange]]],
    *,
    cause: Cause,
    at: datetime,
) -> list[PendingEvent]:
    if not updates:
        return []
    # The active-stock-number index is checked row by row, so a swap of two numbers in one
    # UPDATE would collide half way; the moving units first step out of the index (removed_at
    # is its predicate) and the main UPDATE puts every unit's final removed_at back.
    moving = [
        unit["id"]
        for unit, changes in updates
        if "stock_number" in changes and not unit["removed_at"]
    ]
    if moving:
        await session.execute(
            text("UPDATE units SET removed_at = :at WHERE id = ANY(CAST(:ids AS uuid[]))"),
            {"at": at, "ids": moving},
        )
    final = [{**unit, **{name: c.new for name, c in changes.items()}} for unit, changes in updates]
    await _expect_rows(
        session,
        text(
            "UPDATE units SET stock_number = f.stock_number, year = f.year, make = f.make, "
            "model = f.model, trim = f.trim, exterior_color = f.exterior_color, "
            "mileage = f.mileage, received_at = f.received_at, removed_at = NULL, "
            "version = units.version + 1, updated_at = :at "
            "FROM unnest(CAST(:ids AS uuid[]), CAST(:versions AS int[]), "
            "CAST(:stock_numbers AS text[]), CAST(:years AS int[]), CAST(:makes AS text[]), "
            "CAST(:models AS text[]), CAST(:trims AS text[]), CAST(:colors AS text[]), "
            "CAST(:mileages AS int[]), CAST(:received AS timestamptz[])) "
            "AS f(id, version, stock_number, year, make, model, trim, exterior_color, mileage, "
            "received_at) "
            "WHERE units.id = f.id AND units.version = f.version"
        ),
        {
            "at": at,
            "ids": [u["id"] for u in final],
            "versions": [u["version"] for u in final],
            **_columns(final),
        },
        expected=len(final),
    )
    return [
        _pending(
            ev.UnitUpdated(
                **_base(unit["id"], after["stock_number"], unit["version"] + 1, cause),
                changes=changes,
            ),
            unit["id"],
            cause,
        )
        for (unit, changes), after in zip(updates, final, strict=True)
    ]


async def _create(
    session: AsyncSession,
    store_id: uuid.UUID,
    vehicles: list[ev.VehicleFields],
    *,
    cause: Cause,
    at: datetime,
) -> list[PendingEvent]:
    if not vehicles:
        return []
    ids = [uuid.uuid4() for _ in vehicles]
    vehicles = [v.model_copy(update={"received_at": v.received_at or at}) for v in vehicles]
    rows = [vehicle.model_dump() for vehicle in vehicles]
    await session.execute(
        text(
            "INSERT INTO units (id, store_id, vin, stock_number, year, make, model, trim, "
            "exterior_color, mileage, received_at, stage, stage_entered_at, extra, version, "
            "created_at, updated_at) "
            "SELECT f.id, :store_id, f.vin, f.stock_number, f.year, f.make, f.model, f.trim, "
            "f.exterior_color, f.mileage, f.received_at, :stage, :at, CAST('{}' AS jsonb), 1, :at, :at "
            "FROM unnest(CAST(:ids AS uuid[]), CAST(:vins AS text[]), "
            "CAST(:stock_numbers AS text[]), CAST(:years AS int[]), CAST(:makes AS text[]), "
            "CAST(:models AS text[]), CAST(:trims AS text[]), CAST(:colors AS text[]), "
            "CAST(:mileages AS int[]), CAST(:received AS timestamptz[])) "
            "AS f(id, vin, stock_number, year, make, model, trim, exterior_color, mileage, "
            "received_at)"
        ),
        {
            "store_id": store_id,
            "stage": Stage.INTAKE.value,
            "at": at,
            "ids": ids,
            "vins": [row["vin"] for row in rows],
            **_columns(rows),
        },
    )
    return [
        _pending(
            ev.UnitCreated(
                **_base(unit_id, row["stock_number"], 1, cause),
                vehicle=vehicle,
                stage=Stage.INTAKE,
            ),
            unit_id,
            cause,
        )
        for unit_id, vehicle, row in zip(ids, vehicles, rows, strict=True)
    ]


def _columns(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The vehicle fields as one array per column, for unnest()."""
    rows = list(rows)
    return {
        "stock_numbers": [r["stock_number"] for r in rows],
        "years": [r["year"] for r in rows],
        "makes": [r["make"] for r in rows],
        "models": [r["model"] for r in rows],
        "trims": [r["trim"] for r in rows],
        "colors": [r["exterior_color"] for r in rows],
        "mileages": [r["mileage"] for r in rows],
        "received": [r["received_at"] for r in rows],
    }


async def _expect_rows(
    session: AsyncSession, statement: Any, params: dict[str, Any], *, expected: int
) -> None:
    """Run a bulk UPDATE guarded by each unit's version; a unit changed meanwhile (which the
    store lock should make impossible) fails the whole sync rather than being overwritten."""
    result = await session.execute(statement, params)
    if result.rowcount != expected:  # type: ignore[attr-defined]
        raise StaleUnit(stock_number="(inventory sync)", expected=None, actual=None)
