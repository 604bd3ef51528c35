"""Message routes: every text in and out of the store."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Query

import recon.domain.units as units
from board_api.deps import ReadAccess
from board_api.messages import schemas, service
from board_api.pagination import CursorQuery, LimitQuery, Page
from recon.service.deps import SessionDep

router = APIRouter(prefix="/api/v1/stores/{slug}/messages", tags=["messages"])


@router.get("", summary="Every text in and out, oldest first")
async def list_messages(
    access: ReadAccess,
    session: SessionDep,
    phone: str | None = Query(None, max_length=32, description="From or to this number."),
    direction: Literal["inbound", "outbound"] | None = Query(None),
    status: str | None = Query(
        None, max_length=16, description="e.g. needs_review: texts that were not understood."
    ),
    unit: str | None = Query(
        None,
        min_length=1,
        max_length=64,
        description="Only texts about this unit: its stock number (any case) or its id.",
    ),
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> Page[schemas.Message]:
    unit_id: uuid.UUID | None = None
    if unit is not None:
        unit_id = (
            await units.get_unit(session, store_id=access.store.id, ref=unit, children=())
        ).id
    items, next_cursor = await service.list_messages(
        session,
        store=access.store,
        phone=phone,
        direction=direction,
        status=status,
        unit_id=unit_id,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=items, next_cursor=next_cursor)
