"""The inventory endpoints: push a feed (JSON or CSV) and read the sync history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from inventory_sync.deps import InventoryReaderDep, InventoryWriterDep, SessionDep
from inventory_sync.feeds import FeedError, choose_mode, read_capped, read_feed
from inventory_sync.flows import apply_feed
from inventory_sync.history import list_runs
from inventory_sync.schemas import InventorySyncPage, InventorySyncRun, InventorySyncSummary
from recon.domain.inventory import SyncMode

router = APIRouter(prefix="/api/v1/stores/{slug}/inventory", tags=["inventory"])

_VEHICLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["vin", "stock_number"],
    "properties": {
        "vin": {"type": "string", "description": "17 characters, valid check digit"},
        "stock_number": {"type": "string"},
        "year": {"type": "integer"},
        "make": {"type": "string"},
        "model": {"type": "string"},
        "trim": {"type": "string"},
        "exterior_color": {"type": "string"},
        "mileage": {"type": "integer", "minimum": 0},
        "received_at": {"type": "string", "description": "date or date-time"},
    },
    "additionalProperties": True,
}
_JSON_EXAMPLE: dict[str, Any] = {
    "mode": "full",
    "vehicles": [
        {
            "vin": "1HGCM82633A004352",
            "stock_number": "2231",
            "year": 2019,
            "make": "Honda",
            "model": "Accord",
            "trim": "EX",
            "exterior_color": "Silver",
            "mileage": 42118,
            "received_at": "2024-03-14",
        }
    ],
}
_CSV_EXAMPLE = (
    "VIN,Stock #,Year,Make,Model,Trim,Exterior Color,Miles,Date In Stock\n"
    '1HGCM82633A004352,2231,2019,Honda,Accord,EX,Silver,"42,118",03/14/2024\n'
)
_FEED_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["vehicles"],
                    "properties": {
                        "mode": {"type": "string", "enum": ["full", "delta"], "default": "delta"},
                        "vehicles": {"type": "array", "items": _VEHICLE_SCHEMA},
                    },
                },
                "example": _JSON_EXAMPLE,
            },
            "text/csv": {
                "schema": {"type": "string", "description": "a header row, then one row per car"},
                "example": _CSV_EXAMPLE,
            },
        },
    }
}


@router.post(
    "",
    summary="Sync the store's inventory from a DMS feed (JSON or CSV)",
    description=(
        "Upserts by VIN. `full`: cars missing from the feed leave the board (unless sold). "
        "`delta` (the default): nothing is removed. For CSV give the mode as `?mode=`. "
        "Bad rows come back in `rejected` with every reason; the rest is applied."
    ),
    openapi_extra=_FEED_BODY,
)
async def push_inventory(
    request: Request,
    caller: InventoryWriterDep,
    session: SessionDep,
    mode: Annotated[SyncMode | None, Query(description="full or delta")] = None,
) -> InventorySyncSummary:
    try:
        feed = read_feed(await read_capped(request.stream()), request.headers.get("content-type"))
        chosen = choose_mode(feed, mode, default=SyncMode.DELTA)
    except FeedError as exc:
        raise HTTPException(exc.status_code, detail=str(exc)) from exc
    result = await apply_feed(
        session,
        store_id=caller.store.id,
        feed=feed,
        mode=chosen,
        source=f"push-{feed.format}",
        actor_name=caller.name,
    )
    return InventorySyncSummary.model_validate(result)


@router.get("/syncs", summary="The store's sync history, newest first")
async def list_syncs(
    caller: InventoryReaderDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: str | None = None,
) -> InventorySyncPage:
    runs, next_cursor = await list_runs(
        session, store_id=caller.store.id, limit=limit, cursor=cursor
    )
    return InventorySyncPage(
        items=[InventorySyncRun.model_validate(run) for run in runs], next_cursor=next_cursor
    )
