"""Staff routes: create, list, get, update, deactivate."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query

from board_api.deps import TokenReadAccess, WriteAccess
from board_api.pagination import CursorQuery, LimitQuery, Page
from board_api.staff import schemas, service
from recon.service.deps import SessionDep

router = APIRouter(prefix="/api/v1/stores/{slug}/staff", tags=["staff"])


@router.post(
    "",
    status_code=201,
    summary="Add a staff member",
    responses={409: {"description": "That phone is already staff of this store"}},
)
async def create_staff(
    data: schemas.StaffCreate, access: WriteAccess, session: SessionDep
) -> schemas.Staff:
    staff = await service.create_staff(session, store=access.store, data=data)
    return schemas.Staff.model_validate(staff)


@router.get("", summary="The store's staff, oldest first")
async def list_staff(
    access: TokenReadAccess,
    session: SessionDep,
    active: bool | None = Query(None, description="Only active (true) or deactivated (false)."),
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> Page[schemas.Staff]:
    staff, next_cursor = await service.list_staff(
        session, store=access.store, active=active, limit=limit, cursor=cursor
    )
    return Page(items=[schemas.Staff.model_validate(s) for s in staff], next_cursor=next_cursor)


@router.get("/{staff_id}", summary="One staff member")
async def get_staff(
    staff_id: uuid.UUID, access: TokenReadAccess, session: SessionDep
) -> schemas.Staff:
    staff = await service.get_staff(session, store=access.store, staff_id=staff_id)
    return schemas.Staff.model_validate(staff)


@router.patch("/{staff_id}", summary="Change a staff member's name, phone, role or flags")
async def update_staff(
    staff_id: uuid.UUID, data: schemas.StaffUpdate, access: WriteAccess, session: SessionDep
) -> schemas.Staff:
    staff = await service.update_staff(session, store=access.store, staff_id=staff_id, data=data)
    return schemas.Staff.model_validate(staff)


@router.delete("/{staff_id}", summary="Deactivate a staff member (kept with their history)")
async def deactivate_staff(
    staff_id: uuid.UUID, access: WriteAccess, session: SessionDep
) -> schemas.Staff:
    staff = await service.deactivate_staff(session, store=access.store, staff_id=staff_id)
    return schemas.Staff.model_validate(staff)
