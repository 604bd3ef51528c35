"""A store's staff: the people whose registered phone is their identity when they text."""

from __future__ import annotations

import uuid

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from board_api.pagination import after_time_and_id, split_page, time_and_id_cursor
from board_api.staff import schemas
from recon.db.models import Staff, Store


def _phone_taken(phone: str) -> HTTPException:
    return HTTPException(409, f"{phone} is already staff of this store")


async def _phone_owner(session: AsyncSession, store: Store, phone: str) -> uuid.UUID | None:
    return await session.scalar(
        select(Staff.id).where(Staff.store_id == store.id, Staff.phone == phone)
    )


async def _flush(session: AsyncSession, phone: str) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:  # the same phone added by a concurrent request
        raise _phone_taken(phone) from exc


async def create_staff(session: AsyncSession, *, store: Store, data: schemas.StaffCreate) -> Staff:
    if await _phone_owner(session, store, data.phone) is not None:
        raise _phone_taken(data.phone)
    staff = Staff(store_id=store.id, name=data.name.strip(), phone=data.phone, role=data.role)
    session.add(staff)
    await _flush(session, data.phone)
    await session.refresh(staff)
    return staff


async def get_staff(session: AsyncSession, *, store: Store, staff_id: uuid.UUID) -> Staff:
    staff = await session.scalar(
        select(Staff).where(Staff.store_id == store.id, Staff.id == staff_id)
    )
    if staff is None:
        raise HTTPException(404, f"no staff member {staff_id} in this store")
    return staff


async def list_staff(
    session: AsyncSession,
    *,
    store: Store,
    active: bool | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Staff], str | None]:
    query = (
        select(Staff)
        .where(Staff.store_id == store.id)
        .order_by(Staff.created_at, Staff.id)
        .limit(limit + 1)
    )
    if active is not None:
        query = query.where(Staff.active.is_(active))
    if cursor is not None:
        query = query.where(after_time_and_id(Staff.created_at, Staff.id, cursor))
    staff, more = split_page((await session.scalars(query)).all(), limit)
    return staff, time_and_id_cursor(staff[-1].created_at, staff[-1].id) if more else None


async def update_staff(
    session: AsyncSession, *, store: Store, staff_id: uuid.UUID, data: schemas.StaffUpdate
) -> Staff:
    staff = await get_staff(session, store=store, staff_id=staff_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    new_phone = changes.get("phone")
    if new_phone and new_phone != staff.phone and await _phone_owner(session, store, new_phone):
        raise _phone_taken(new_phone)
    for field, value in changes.items():
        setattr(staff, field, value.strip() if field == "name" else value)
    await _flush(session, staff.phone)
    await session.refresh(staff)
    return staff


async def deactivate_staff(session: AsyncSession, *, store: Store, staff_id: uuid.UUID) -> Staff:
    """Deactivated staff keep their history; their texts no longer change anything."""
    staff = await get_staff(session, store=store, staff_id=staff_id)
    if staff.active:
        staff.active = False
        await session.flush()
        await session.refresh(staff)
    return staff
