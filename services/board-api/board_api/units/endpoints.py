"""Unit routes: the board list, one unit with its timeline, and the unit actions, each a thin
call of the shared domain function (the same rules as texting)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response

import recon.domain.units as units
from board_api.auth import StoreAccess
from board_api.deps import DetachedReadAccess, ReadAccess, WriteAccess
from board_api.pagination import CursorQuery, LimitQuery, Page
from board_api.units import listing, schemas, service
from recon.db.models import Unit
from recon.domain.errors import StaleUnit
from recon.service.deps import SessionDep, StateDep

router = APIRouter(prefix="/api/v1/stores/{slug}/units", tags=["units"])

UnitRef = Annotated[
    str,
    Path(
        description="The stock number (any case) or the unit's id.",
        examples=["2231"],
        min_length=1,
        max_length=64,
    ),
]
# Actions with nothing to say but the version may be sent without a body.
OptionalVersion = Annotated[schemas.VersionOnly, Body(default_factory=schemas.VersionOnly)]
OptionalDone = Annotated[schemas.UnitDone, Body(default_factory=schemas.UnitDone)]
CONFLICTS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such unit (or work item / we-owe item) in this store"},
    409: {"description": "A stale version, or a change the unit's state refuses"},
}


@router.get(
    "",
    summary="The store's units, oldest first, filtered and paged",
    response_model=Page[schemas.Unit],
)
async def list_units(
    access: DetachedReadAccess,
    state: StateDep,
    request: Request,
    stage: list[str] = Query(
        [], description="Only these stages (repeat, or comma-separate: detail,photos)."
    ),
    blocked: bool | None = Query(None, description="Only blocked (true) or unblocked (false)."),
    overdue: bool | None = Query(
        None, description="Only units over (true) or within (false) their stage's target."
    ),
    q: str | None = Query(
        None,
        max_length=200,
        description="Words matched in stock number, VIN, year, make, "
        "model, trim and color (every word must match).",
    ),
    include_removed: bool = Query(False, description="Also units that left the inventory."),
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> Response:
    filters = service.UnitFilters(
        stages=service.parse_stages(stage),
        blocked=blocked,
        overdue=overdue,
        q=q,
        include_removed=include_removed,
    )
    query = listing.UnitQuery(filters=filters, limit=limit, cursor=cursor)
    body = await listing.list_json(state.sessions, store=access.store, query=query, at=units.now())
    listing.KNOWN_QUERIES.add(request.scope["query_string"], query)
    return Response(body, media_type="application/json")


@router.get("/{ref}", summary="One unit with its timeline", responses={404: CONFLICTS[404]})
async def get_unit(ref: UnitRef, access: ReadAccess, session: SessionDep) -> schemas.UnitDetail:
    unit = await units.get_unit(session, store_id=access.store.id, ref=ref)
    return await service.unit_detail(session, store=access.store, unit=unit, at=units.now())


async def _apply(
    session: SessionDep,
    access: StoreAccess,
    ref: str,
    change: Callable[[Unit], Awaitable[object]],
    version: int | None,
) -> schemas.Unit:
    unit = await units.get_unit(session, store_id=access.store.id, ref=ref)
    # A stale version is refused even when the change would turn out to be no change (a move
    # to the stage the unit is already in): the client decided on a unit that is not this one.
    if version is not None and version != unit.version:
        raise StaleUnit(stock_number=unit.stock_number, expected=version, actual=unit.version)
    await change(unit)
    return service.unit_out(unit, access.store, units.now())


@router.post(
    "/{ref}/move", summary="Put the unit in a stage (forwards or back)", responses=CONFLICTS
)
async def move_unit(
    ref: UnitRef, body: schemas.UnitMove, access: WriteAccess, session: SessionDep
) -> schemas.Unit:
    return await _apply(
        session,
        access,
        ref,
        lambda unit: units.move_unit(
            session, unit, to_stage=body.stage, cause=access.cause(), expected_version=body.version
        ),
        body.version,
    )


@router.post(
    "/{ref}/done",
    summary="Done with a stage: the unit moves on along the normal flow",
    responses=CONFLICTS,
)
async def complete_stage(
    ref: UnitRef, body: OptionalDone, access: WriteAccess, session: SessionDep
) -> schemas.Unit:
    return await _apply(
        session,
        access,
        ref,
        lambda unit: units.complete_stage(
            session,
            unit,
            stage=body.stage or unit.stage,
            cause=access.cause(),
            expected_version=body.version,
        ),
        body.version,
    )


@router.post("/{ref}/work-items", summary="Open work items", responses=CONFLICTS)
async def open_work_items(
    ref: UnitRef, body: schemas.WorkItemsOpen, access: WriteAccess, session: SessionDep
) -> schemas.Unit:
    return await _apply(
        session,
        access,
        ref,
        lambda unit: units.open_work_items(
            session,
            unit,
            names=body.names,
            vendor=body.vendor,
            approved=body.approved,
            cause=access.cause(),
            expected_version=body.version,
        ),
        body.version,
    )


@router.post(
    "/{ref}/work-items/{work_item_id}/complete",
    summary="Mark a work item done",
    responses=CONFLICTS,
)
async def complete_work_item(
    ref: UnitRef,
    work_item_id: uuid.UUID,
    body: OptionalVersion,
    access: WriteAccess,
    session: SessionDep,
) -> schemas.Unit:
    return await _apply(
        session,
        access,
        ref,
        lambda unit: units.complete_work_item(
            session,
            unit,
            work_item_id=work_item_id,
            cause=access.cause(),
            expected_version=body.version,
        ),
        body.version,
    )


@router.put("/{ref}/blocker", summary="Block the unit (replaces any blocker)", responses=CONFLICTS)
async def block_unit(
    ref: UnitRef, body: schemas.BlockerSet, access: WriteAccess, session: SessionDep
) -> schemas.Unit:
    return await _apply(
        session,
        access,
        ref,
        lambda unit: units.block_unit(
            session,
            unit,
            kind=body.kind,
            note=body.note,
            eta=body.eta,
            cause=access.cause(),
            expected_version=body.version,
        ),
        body.version,
    )


@router.delete("/{ref}/blocker", summary="Clear the unit's blocker", responses=CONFLICTS)
async def unblock_unit(
    ref: UnitRef,
    access: WriteAccess,
    session: SessionDep,
    version: int | None = Query(None, description="The version you last saw (409 when stale)."),
) -> schemas.Unit:
    return await _apply(
        session,
        access,
        ref,
        lambda unit: units.unblock_unit(
            session, unit, cause=access.cause(), expected_version=version
        ),
        version,
    )


@router.post("/{ref}/notes", summary="Add a note", responses=CONFLICTS)
async def add_note(
    ref: UnitRef, body: schemas.NoteCreate, access: WriteAccess, session: SessionDep
) -> schemas.Unit:
    return await _apply(
        session,
        access,
        ref,
        lambda unit: units.add_note(
            session, unit, body=body.body, cause=access.cause(), expected_version=body.version
        ),
        body.version,
    )


@router.post("/{ref}/we-owe", summary="Add a we-owe item", responses=CONFLICTS)
async def add_we_owe(
    ref: UnitRef, body: schemas.WeOweCreate, access: WriteAccess, session: SessionDep
) -> schemas.Unit:
    return await _apply(
        session,
        access,
        ref,
        lambda unit: units.add_we_owe(
            session, unit, item=body.item, cause=access.cause(), expected_version=body.version
        ),
        body.version,
    )


@router.post(
    "/{ref}/we-owe/{we_owe_id}/complete", summary="Mark a we-owe item done", responses=CONFLICTS
)
async def complete_we_owe(
    ref: UnitRef,
    we_owe_id: uuid.UUID,
    body: OptionalVersion,
    access: WriteAccess,
    session: SessionDep,
) -> schemas.Unit:
    return await _apply(
        session,
        access,
        ref,
        lambda unit: units.complete_we_owe(
            session,
            unit,
            we_owe_id=we_owe_id,
            cause=access.cause(),
            expected_version=body.version,
        ),
        body.version,
    )


@router.post("/{ref}/ack", summary="Acknowledge the unit where it is now", responses=CONFLICTS)
async def acknowledge_unit(
    ref: UnitRef, body: OptionalVersion, access: WriteAccess, session: SessionDep
) -> schemas.Unit:
    return await _apply(
        session,
        access,
        ref,
        lambda unit: units.acknowledge_unit(
            session, unit, cause=access.cause(), expected_version=body.version
        ),
        body.version,
    )
