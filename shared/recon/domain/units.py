"""Every change to a unit, as plain async functions over the caller's session.

Each function checks the rules, applies the change under optimistic concurrency (the unit's
`version`), and appends the unit event and its outbox row, all in the caller's transaction:
they flush and never commit. Every writer (texts, the board API, the inventory feed) calls
these; no service has a copy of the rules.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import Select, bindparam, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from recon.db.models import Ack, Note, Unit, WeOweItem, WorkItem
from recon.domain import pg
from recon.domain.errors import AlreadyPast, InvalidChange, InvalidInput, NotFound, StaleUnit
from recon.domain.event_log import (
    Cause,
    PendingEvent,
    RowWrite,
    append_events,
    lock_store_events,
    queue_with_events,
)
from recon.domain.stages import BlockerKind, Stage, is_past, next_stage_after_done
from recon.events import types as ev

# A unit's child collections, by name: get_unit loads all of them unless told which.
CHILDREN = {
    "work_items": Unit.work_items,
    "notes": Unit.notes,
    "we_owe": Unit.we_owe,
    "acks": Unit.acks,
    "photos": Unit.photos,
}
UNIT_CHILDREN = tuple(selectinload(relationship) for relationship in CHILDREN.values())

# Fields the inventory feed owns; everything else on a unit is the board's.
VEHICLE_FIELDS = (
    "vin",
    "stock_number",
    "year",
    "make",
    "model",
    "trim",
    "exterior_color",
    "mileage",
    "received_at",
)


def now() -> datetime:
    return datetime.now(UTC)


# --- loading -------------------------------------------------------------------------------


async def get_unit(
    session: AsyncSession,
    *,
    store_id: uuid.UUID,
    ref: str | uuid.UUID,
    include_removed: bool = True,
    children: Collection[str] | None = None,
) -> Unit:
    """A unit with its work items, notes, we-owe items, acks and photos, by id or stock number.

    Stock numbers match case-insensitively; an active unit wins over a removed one that
    shared its stock number. `children` names the collections to load (default: all five;
    each is one more query): a change that only appends to a collection (a note, a we-owe
    item, an acknowledgement) needs none of them, and reading one not loaded raises.
    """
    unit_id = _as_uuid(ref)
    by_id = unit_id is not None
    params = {
        "store_id": store_id,
        "ref": unit_id if unit_id is not None else str(ref).strip().lower(),
    }
    if children is not None and not children:
        bare = await _bare_unit(session, params, by_id=by_id, include_removed=include_removed)
        if bare is False:
            raise NotFound(f"no unit {ref} in this store")
        if bare is not None:
            return bare
    query = _unit_query(
        None if children is None else tuple(children),
        by_id=by_id,
        include_removed=include_removed,
    )
    unit = (await session.execute(query, params)).scalar_one_or_none()
    if unit is None:
        raise NotFound(f"no unit {ref} in this store")
    return unit


async def _bare_unit(
    session: AsyncSession, params: dict[str, Any], *, by_id: bool, include_removed: bool
) -> Unit | Literal[False] | None:
    """get_unit without children, as one plain statement: the ORM's query cost several times
    the statement itself on the path every text takes. The unit returned is in the session
    like a loaded one (its collections raise when read, as the ORM's unloaded ones do).
    False: no such unit. None: the session holds that unit already; the ORM's query then
    answers, as it alone knows what to refresh on an object it holds."""
    connection = await pg.driver(session)
    row = await connection.fetchrow(
        _bare_unit_sql(by_id=by_id, include_removed=include_removed),
        params["store_id"],
        params["ref"],
    )
    if row is None:
        return False
    if identity_key(Unit, row["id"]) in session.identity_map:
        return None
    unit = Unit(**dict(row))
    make_transient_to_detached(unit)
    session.add(unit)
    return unit


@functools.cache
def _bare_unit_sql(*, by_id: bool, include_removed: bool) -> str:
    """`_unit_query`'s statement without children, in plain SQL."""
    where = "store_id = $1 AND " + ("id = $2" if by_id else "lower(stock_number) = $2")
    if not include_removed:
        where += " AND removed_at IS NULL"
    return (
        f"SELECT {', '.join(Unit.__table__.columns.keys())} FROM units WHERE {where} "
        "ORDER BY removed_at IS NOT NULL, updated_at DESC LIMIT 1"
    )


async def get_unit_to_append(
    session: AsyncSession, *, store_id: uuid.UUID, unit_id: uuid.UUID, at: datetime
) -> Unit:
    """The unit, for a change that only adds a row to it (`add_note`, `add_we_owe`,
    `acknowledge_unit`): its version is bumped by the statement that reads it, under the
    store's lock, so the change only has its row to write, and writes it with the
    transaction's events when it defers them. A text's note is one round trip, not two.
    Raises NotFound for a unit not (or no longer) on the board."""
    await lock_store_events(session, store_id)
    connection = await pg.driver(session)
    row = await connection.fetchrow(_BUMP_AND_READ_SQL, store_id, unit_id, at)
    if row is None:
        raise NotFound(f"no unit {unit_id} in this store")
    held = session.identity_map.get(identity_key(Unit, row["id"]))
    if isinstance(held, Unit):
        unit = held
        set_committed_value(unit, "version", row["version"])
        set_committed_value(unit, "updated_at", row["updated_at"])
    else:
        unit = Unit(**dict(row))
        make_transient_to_detached(unit)
        session.add(unit)
    _bumped_for_append(session).add(unit.id)
    return unit


_BUMP_AND_READ_SQL = (
    "UPDATE units SET version = version + 1, updated_at = $3 "
    "WHERE store_id = $1 AND id = $2 AND removed_at IS NULL "
    f"RETURNING {', '.join(Unit.__table__.columns.keys())}"
)
_BUMPED = "recon_units_bumped_for_append"


def _bumped_for_append(session: AsyncSession) -> set[uuid.UUID]:
    """The units `get_unit_to_append` bumped in this transaction whose row is still to come."""
    root = session.sync_session.get_transaction()
    held: tuple[object, set[uuid.UUID]] | None = session.info.get(_BUMPED)
    if held is None or held[0] is not root:
        held = session.info[_BUMPED] = (root, set())
    return held[1]


@functools.cache
def _unit_query(
    children: tuple[str, ...] | None, *, by_id: bool, include_removed: bool
) -> Select[Unit]:
    """get_unit's statement, built once per shape: building it (and its cache key) on every
    call showed in the profile of a text."""
    options = (
        UNIT_CHILDREN
        if children is None
        else tuple(selectinload(CHILDREN[name]) for name in children)
    )
    query = select(Unit).where(Unit.store_id == bindparam("store_id")).options(*options)
    if by_id:
        query = query.where(Unit.id == bindparam("ref"))
    else:
        query = query.where(func.lower(Unit.stock_number) == bindparam("ref"))
    if not include_removed:
        query = query.where(Unit.removed_at.is_(None))
    return query.order_by(Unit.removed_at.is_not(None), Unit.updated_at.desc()).limit(1)


def _as_uuid(ref: str | uuid.UUID) -> uuid.UUID | None:
    if isinstance(ref, uuid.UUID):
        return ref
    try:
        return uuid.UUID(str(ref))
    except ValueError:
        return None


# --- the shared mechanics of a change ------------------------------------------------------


async def _begin(session: AsyncSession, unit: Unit, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != unit.version:
        raise StaleUnit(
            stock_number=unit.stock_number, expected=expected_version, actual=unit.version
        )
    await lock_store_events(session, unit.store_id)


async def _commit_change(
    session: AsyncSession, unit: Unit, cause: Cause, events: Sequence[ev.UnitEventData]
) -> None:
    """Bump the unit's version (checked against the row), then log the events."""
    stock_number = unit.stock_number  # the failed flush below expires the object
    unit.updated_at = cause.when()
    try:
        await session.flush()
    except StaleDataError as exc:
        raise StaleUnit(stock_number=stock_number, expected=None, actual=None) from exc
    await _log(session, unit, cause, events)


async def _commit_appended(
    session: AsyncSession,
    unit: Unit,
    cause: Cause,
    row: Note | WeOweItem | Ack,
    collection: str,
    events: Sequence[ev.UnitEventData],
) -> None:
    """`_commit_change` for a change that only adds one child row to the unit (a note, a
    we-owe item, an acknowledgement), every column of the row set.

    The version bump (checked against the row) and the INSERT go as one plain statement:
    the ORM's flush of the same two cost several times the statements themselves, on the
    path every text that adds a note takes. A unit read by `get_unit_to_append` is bumped
    already: only the INSERT is left, written with the transaction's events when it defers
    them. The row then sits in the session like a loaded one. A session with other changes
    waiting is flushed the ORM's way, so nothing pending is written out of order.
    """
    bumped = _bumped_for_append(session)
    if session.new or session.dirty or session.deleted:
        bumped.discard(unit.id)
        session.add(row)
        _keep_current(unit, collection, row)
        await _commit_change(session, unit, cause, events)
        return
    columns = tuple(row.__table__.columns.keys())
    values = tuple(row.__dict__[name] for name in columns)
    if unit.id in bumped:
        # Read for this change with its version bumped: only the row is left to write.
        bumped.discard(unit.id)
        insert = functools.partial(pg.insert_sql, row.__tablename__, columns)
        if not queue_with_events(session, RowWrite(insert, values)):
            connection = await pg.driver(session)
            with pg.refused_values(insert(1)):
                await connection.execute(insert(1), *values)
    else:
        at = cause.when()
        statement = _bump_and_insert_sql(row.__tablename__, columns)
        connection = await pg.driver(session)
        with pg.refused_values(statement):
            status = await connection.execute(statement, unit.id, unit.version, at, *values)
        if status != "INSERT 0 1":
            raise StaleUnit(stock_number=unit.stock_number, expected=None, actual=None)
        set_committed_value(unit, "version", unit.version + 1)
        set_committed_value(unit, "updated_at", at)
    make_transient_to_detached(row)
    session.add(row)
    if collection not in inspect(unit).unloaded:
        set_committed_value(unit, collection, [*getattr(unit, collection), row])
    await _log(session, unit, cause, events)


@functools.cache
def _bump_and_insert_sql(table: str, columns: tuple[str, ...]) -> str:
    """Bump the unit's version where it is still the one read ($1 id, $2 version, $3 time),
    then insert the child row ($4…) only if it was: 'INSERT 0 0' means the unit is stale."""
    values = pg.parameters(4, len(columns))
    return (
        "WITH bumped AS (UPDATE units SET version = version + 1, updated_at = $3 "
        "WHERE id = $1 AND version = $2 RETURNING id) "
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} FROM bumped"
    )


async def _log(
    session: AsyncSession, unit: Unit, cause: Cause, events: Sequence[ev.UnitEventData]
) -> None:
    pending = []
    for data in events:
        data.version = unit.version
        pending.append(
            PendingEvent(
                data=data,
                subject=unit.id,
                unit_id=unit.id,
                actor=cause.actor,
                source=cause.source,
                message_id=cause.message_id,
                at=cause.at,
            )
        )
    await append_events(session, store_id=unit.store_id, service=cause.service, events=pending)


def _base(unit: Unit, cause: Cause) -> dict[str, Any]:
    return {
        "unit_id": unit.id,
        "stock_number": unit.stock_number,
        "version": unit.version,
        "actor": cause.actor,
        "source": cause.source,
        "message_id": cause.message_id,
    }


def _keep_current(unit: Unit, collection: str, row: Any) -> None:
    """Add a new child row to the unit's collection when that collection is loaded (the row
    itself is what is stored; an unloaded collection is read fresh by whoever loads it)."""
    if collection not in inspect(unit).unloaded:
        getattr(unit, collection).append(row)


def days_between(start: datetime, end: datetime) -> float:
    """A unit's clock: whole and fractional days, to the thousandth (about 86 s)."""
    return round((end - start).total_seconds() / 86400, 3)


def open_shop_work(unit: Unit) -> bool:
    return any(item.status == "open" and item.vendor is None for item in unit.work_items)


def open_vendor_work(unit: Unit) -> bool:
    return any(item.status == "open" and item.vendor is not None for item in unit.work_items)


def _stage_changed(
    unit: Unit, to_stage: Stage, reason: Literal["move", "done"], cause: Cause
) -> ev.UnitStageChanged:
    at = cause.when()
    event = ev.UnitStageChanged(
        **_base(unit, cause),
        from_stage=unit.stage,
        to_stage=to_stage,
        reason=reason,
        days_in_previous_stage=days_between(unit.stage_entered_at, at),
    )
    unit.stage = to_stage
    unit.stage_entered_at = at
    return event


def _ensure_on_board(unit: Unit) -> None:
    if unit.removed_at is not None:
        raise InvalidChange(f"{unit.stock_number} is no longer in inventory")


# --- stage changes -------------------------------------------------------------------------


async def move_unit(
    session: AsyncSession,
    unit: Unit,
    *,
    to_stage: Stage | str,
    cause: Cause,
    expected_version: int | None = None,
) -> Unit:
    """Put a unit in any stage, forwards or backwards; a move to where it is changes nothing."""
    target = Stage(to_stage)
    _ensure_on_board(unit)
    if unit.stage == target:
        return unit
    await _begin(session, unit, expected_version)
    await _commit_change(session, unit, cause, [_stage_changed(unit, target, "move", cause)])
    return unit


async def complete_stage(
    session: AsyncSession,
    unit: Unit,
    *,
    stage: Stage | str,
    cause: Cause,
    expected_version: int | None = None,
) -> Unit:
    """ "Done" for `stage`: the unit moves on along the normal flow, never backwards."""
    done = Stage(stage)
    _ensure_on_board(unit)
    current = Stage(unit.stage)
    if done == Stage.SOLD:
        raise InvalidChange(f"{unit.stock_number} is sold; there is no stage after sold")
    if is_past(current, done):
        raise AlreadyPast(stock_number=unit.stock_number, stage=done, current=current)
    # A car nobody moved out of intake can still have its inspection reported done.
    reached = current == done or (current == Stage.INTAKE and done == Stage.INSPECTION)
    if not reached:
        raise InvalidChange(f"{unit.stock_number} has not reached {done} yet: it is in {current}")
    target = next_stage_after_done(
        done, open_shop_work=open_shop_work(unit), open_vendor_work=open_vendor_work(unit)
    )
    await _begin(session, unit, expected_version)
    await _commit_change(session, unit, cause, [_stage_changed(unit, target, "done", cause)])
    return unit


# --- blockers ------------------------------------------------------------------------------


async def block_unit(
    session: AsyncSession,
    unit: Unit,
    *,
    kind: BlockerKind | str,
    note: str | None,
    eta: date | None,
    cause: Cause,
    expected_version: int | None = None,
) -> Unit:
    """Block a unit (replacing any blocker it had); the stage clock keeps running."""
    kind = BlockerKind(kind)
    _ensure_on_board(unit)
    if (unit.blocker_kind, unit.blocker_note, unit.blocker_eta) == (kind, note, eta):
        return unit
    await _begin(session, unit, expected_version)
    unit.blocker_kind = kind
    unit.blocker_note = note
    unit.blocker_eta = eta
    unit.blocker_since = cause.when()
    event = ev.UnitBlocked(**_base(unit, cause), kind=kind, note=note, eta=eta, stage=unit.stage)
    await _commit_change(session, unit, cause, [event])
    return unit


async def unblock_unit(
    session: AsyncSession,
    unit: Unit,
    *,
    cause: Cause,
    kind: BlockerKind | str | None = None,
    expected_version: int | None = None,
) -> Unit:
    """Clear the unit's blocker; with `kind`, only a blocker of that kind."""
    if unit.blocker_kind is None:
        raise InvalidChange(f"{unit.stock_number} is not blocked")
    if kind is not None and BlockerKind(kind) != unit.blocker_kind:
        raise InvalidChange(
            f"{unit.stock_number} is blocked on {unit.blocker_kind}, not {BlockerKind(kind)}"
        )
    await _begin(session, unit, expected_version)
    since = unit.blocker_since or cause.when()
    event = ev.UnitUnblocked(
        **_base(unit, cause),
        kind=unit.blocker_kind,
        note=unit.blocker_note,
        blocked_hours=round((cause.when() - since).total_seconds() / 3600, 2),
        stage=unit.stage,
    )
    unit.blocker_kind = unit.blocker_note = unit.blocker_eta = unit.blocker_since = None
    await _commit_change(session, unit, cause, [event])
    return unit


# --- work items ----------------------------------------------------------------------------


def find_open_work_item(unit: Unit, name: str) -> WorkItem | None:
    wanted = " ".join(name.lower().split())
    for item in unit.work_items:
        if item.status == "open" and " ".join(item.name.lower().split()) == wanted:
            return item
    return None


async def open_work_items(
    session: AsyncSession,
    unit: Unit,
    *,
    names: Sequence[str],
    cause: Cause,
    vendor: str | None = None,
    approved: bool = False,
    expected_version: int | None = None,
) -> list[WorkItem]:
    """Open each named work item; one already open under that name is kept, not doubled."""
    _ensure_on_board(unit)
    cleaned = [" ".join(name.split()) for name in names if name.strip()]
    if not cleaned:
        raise InvalidInput("a work item needs a name")
    await _begin(session, unit, expected_version)
    items: list[WorkItem] = []
    events: list[ev.UnitEventData] = []
    for name in cleaned:
        existing = find_open_work_item(unit, name)
        if existing is not None:
            if approved and not existing.approved:
                existing.approved = True
            items.append(existing)
            continue
        item = WorkItem(
            id=uuid.uuid4(),
            store_id=unit.store_id,
            unit_id=unit.id,
            name=name[:200],
            vendor=vendor,
            approved=approved,
            status="open",
            opened_at=cause.when(),
            opened_by=cause.actor.name,
        )
        session.add(item)
        unit.work_items.append(item)
        items.append(item)
        events.append(
            ev.WorkItemOpened(
                **_base(unit, cause),
                work_item_id=item.id,
                name=item.name,
                vendor=vendor,
                approved=approved,
            )
        )
    if events:
        await _commit_change(session, unit, cause, events)
    return items


async def complete_work_item(
    session: AsyncSession,
    unit: Unit,
    *,
    cause: Cause,
    work_item_id: uuid.UUID | None = None,
    name: str | None = None,
    expected_version: int | None = None,
) -> WorkItem:
    """Mark a work item done: the open one given by id or name, or, when none is open under
    that name, record the work as opened and done at once."""
    _ensure_on_board(unit)
    item: WorkItem | None
    if work_item_id is not None:
        item = next((wi for wi in unit.work_items if wi.id == work_item_id), None)
        if item is None:
            raise NotFound(f"no work item {work_item_id} on {unit.stock_number}")
        if item.status == "done":
            return item
    elif name and name.strip():
        item = find_open_work_item(unit, name)
    else:
        raise InvalidInput("say which work item is done")
    await _begin(session, unit, expected_version)
    events: list[ev.UnitEventData] = []
    if item is None:
        assert name is not None
        item = WorkItem(
            id=uuid.uuid4(),
            store_id=unit.store_id,
            unit_id=unit.id,
            name=" ".join(name.split())[:200],
            status="open",
            opened_at=cause.when(),
            opened_by=cause.actor.name,
        )
        session.add(item)
        unit.work_items.append(item)
        events.append(ev.WorkItemOpened(**_base(unit, cause), work_item_id=item.id, name=item.name))
    item.status = "done"
    item.done_at = cause.when()
    item.done_by = cause.actor.name
    events.append(
        ev.WorkItemDone(
            **_base(unit, cause), work_item_id=item.id, name=item.name, vendor=item.vendor
        )
    )
    await _commit_change(session, unit, cause, events)
    return item


# --- notes, we-owe, acknowledgements -------------------------------------------------------


async def add_note(
    session: AsyncSession,
    unit: Unit,
    *,
    body: str,
    cause: Cause,
    expected_version: int | None = None,
) -> Note:
    body = body.strip()
    if not body:
        raise InvalidInput("a note needs some text")
    await _begin(session, unit, expected_version)
    note = Note(
        id=uuid.uuid4(),
        store_id=unit.store_id,
        unit_id=unit.id,
        body=body[:2000],
        author=cause.actor.name or cause.actor.kind,
        author_staff_id=cause.actor.staff_id,
        created_at=cause.when(),
    )
    event = ev.NoteAdded(**_base(unit, cause), note_id=note.id, body=note.body)
    await _commit_appended(session, unit, cause, note, "notes", [event])
    return note


async def add_we_owe(
    session: AsyncSession,
    unit: Unit,
    *,
    item: str,
    cause: Cause,
    expected_version: int | None = None,
) -> WeOweItem:
    item = " ".join(item.split())
    if not item:
        raise InvalidInput("a we-owe item needs a description")
    await _begin(session, unit, expected_version)
    owed = WeOweItem(
        id=uuid.uuid4(),
        store_id=unit.store_id,
        unit_id=unit.id,
        item=item[:200],
        status="open",
        created_at=cause.when(),
        done_at=None,
    )
    event = ev.WeOweAdded(**_base(unit, cause), we_owe_id=owed.id, item=owed.item)
    await _commit_appended(session, unit, cause, owed, "we_owe", [event])
    return owed


async def complete_we_owe(
    session: AsyncSession,
    unit: Unit,
    *,
    we_owe_id: uuid.UUID,
    cause: Cause,
    expected_version: int | None = None,
) -> WeOweItem:
    owed = next((w for w in unit.we_owe if w.id == we_owe_id), None)
    if owed is None:
        raise NotFound(f"no we-owe item {we_owe_id} on {unit.stock_number}")
    if owed.status == "done":
        return owed
    await _begin(session, unit, expected_version)
    owed.status = "done"
    owed.done_at = cause.when()
    event = ev.WeOweDone(**_base(unit, cause), we_owe_id=owed.id, item=owed.item)
    await _commit_change(session, unit, cause, [event])
    return owed


async def acknowledge_unit(
    session: AsyncSession,
    unit: Unit,
    *,
    cause: Cause,
    expected_version: int | None = None,
) -> Ack:
    """Record that someone (usually sales) has seen the unit where it is now."""
    by = cause.actor.name or cause.actor.kind
    await _begin(session, unit, expected_version)
    ack = Ack(
        id=uuid.uuid4(),
        store_id=unit.store_id,
        unit_id=unit.id,
        staff_id=cause.actor.staff_id,
        by=by,
        stage=unit.stage,
        at=cause.when(),
    )
    event = ev.UnitAcknowledged(
        **_base(unit, cause), staff_id=cause.actor.staff_id, by=by, stage=unit.stage
    )
    await _commit_appended(session, unit, cause, ack, "acks", [event])
    return ack


# --- the inventory feed --------------------------------------------------------------------


async def create_unit(
    session: AsyncSession,
    *,
    store_id: uuid.UUID,
    vehicle: ev.VehicleFields,
    cause: Cause,
) -> Unit:
    """A car new to the store's inventory: it joins the board at intake."""
    await lock_store_events(session, store_id)
    at = cause.when()
    unit = Unit(
        id=uuid.uuid4(),
        store_id=store_id,
        **vehicle.model_dump(exclude={"received_at"}),
        received_at=vehicle.received_at or at,
        stage=Stage.INTAKE,
        stage_entered_at=at,
        extra={},
        work_items=[],
        notes=[],
        we_owe=[],
        acks=[],
        photos=[],
    )
    session.add(unit)
    await session.flush()
    event = ev.UnitCreated(
        **_base(unit, cause),
        vehicle=vehicle.model_copy(update={"received_at": unit.received_at}),
        stage=unit.stage,
    )
    await _log(session, unit, cause, [event])
    return unit


def vehicle_changes(
    current: Mapping[str, Any], vehicle: ev.VehicleFields, *, removed: bool
) -> dict[str, ev.FieldChange]:
    """What applying the feed's view of a car would change: the one definition of a change,
    shared by `update_vehicle` and the bulk inventory sync so both agree.

    A field the feed did not give (unset on `vehicle`) is kept, and a missing receipt time
    never clears the one on record; a removed unit that is in the feed again is restored.
    """
    changes: dict[str, ev.FieldChange] = {}
    given = vehicle.model_fields_set
    for field in VEHICLE_FIELDS:
        if field not in given:
            continue
        new = getattr(vehicle, field)
        if field == "received_at" and new is None:
            continue
        old = current[field]
        if old != new:
            changes[field] = ev.FieldChange(old=old, new=new)
    if removed:
        changes["removed"] = ev.FieldChange(old=True, new=False)
    return changes


async def update_vehicle(
    session: AsyncSession,
    unit: Unit,
    *,
    vehicle: ev.VehicleFields,
    cause: Cause,
) -> dict[str, ev.FieldChange]:
    """Apply the feed's view of a car; returns what changed (nothing → no event). A removed
    unit that comes back to the feed is restored to the board."""
    current = {field: getattr(unit, field) for field in VEHICLE_FIELDS}
    changes = vehicle_changes(current, vehicle, removed=unit.removed_at is not None)
    if not changes:
        return changes
    await _begin(session, unit, None)
    for field, change in changes.items():
        if field == "removed":
            unit.removed_at = None
        else:
            setattr(unit, field, change.new)
    event = ev.UnitUpdated(**_base(unit, cause), changes=changes)
    await _commit_change(session, unit, cause, [event])
    return changes


async def remove_unit(session: AsyncSession, unit: Unit, *, reason: str, cause: Cause) -> Unit:
    """Take a unit off the board (it left inventory unsold); kept with its history."""
    if unit.removed_at is not None:
        return unit
    if unit.stage == Stage.SOLD:
        raise InvalidChange(f"{unit.stock_number} is sold; sold units are not removed")
    await _begin(session, unit, None)
    unit.removed_at = cause.when()
    await _commit_change(
        session, unit, cause, [ev.UnitRemoved(**_base(unit, cause), reason=reason)]
    )
    return unit


def days_in_stage(unit: Unit, at: datetime | None = None) -> float:
    return days_between(unit.stage_entered_at, at or now())


def days_in_recon(unit: Unit, at: datetime | None = None) -> float:
    return days_between(unit.received_at, at or now())
