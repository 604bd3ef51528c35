"""Message routes: every text in and out of the store."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Query

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
    unit: uuid.UUID | None = Query(None, description="Only texts about this unit (its id)."),
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> Page[schemas.Message]:
    items, next_cursor = await service.list_messages(
        session,
        store=access.store,
        phone=phone,
        direction=direction,
        status=status,
        unit_id=unit,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=items, next_cursor=next_cursor)
