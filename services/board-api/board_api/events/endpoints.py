"""Event routes: the store's event log, and the same events live as Server-Sent Events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query
from sse_starlette import EventSourceResponse

import recon.domain.units as units
from board_api.deps import DetachedReadAccess, HubDep, ReadAccess
from board_api.events import schemas, service
from board_api.events.stream import event_stream
from board_api.pagination import CursorQuery, LimitQuery, Page, decode_cursor, encode_cursor
from recon.domain.errors import InvalidInput
from recon.service.deps import SessionDep, StateDep

router = APIRouter(prefix="/api/v1/stores/{slug}", tags=["events"])

HEARTBEAT_SECONDS = 15


@router.get("/events", summary="The store's events, oldest first")
async def list_events(
    access: ReadAccess,
    session: SessionDep,
    unit: str | None = Query(None, max_length=64, description="Stock number or id of a unit."),
    after: str | None = Query(
        None, max_length=64, description="Only events after this one (its seq or its id)."
    ),
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> Page[schemas.Event]:
    store = access.store
    after_seq = await service.seq_after(session, store_id=store.id, after=after)
    if cursor is not None:
        (cursor_seq,) = decode_cursor(cursor, arity=1)
        if not isinstance(cursor_seq, int) or not 0 <= cursor_seq <= service.MAX_SEQ:
            raise InvalidInput("cursor is not one this API issued")
        after_seq = max(after_seq, cursor_seq)
    unit_id = None
    if unit is not None:
        unit_id = (await units.get_unit(session, store_id=store.id, ref=unit)).id
    events = await service.list_events(
        session, store_id=store.id, after_seq=after_seq, unit_id=unit_id, limit=limit + 1
    )
    more = len(events) > limit
    events = events[:limit]
    return Page(items=events, next_cursor=encode_cursor(events[-1].seq) if more else None)


@router.get(
    "/stream",
    summary="The store's events live (Server-Sent Events), resumable with Last-Event-ID",
    description=(
        "Each event is an unnamed SSE message: `id` is the event's seq, `data` the same JSON "
        "as an item of `GET …/events`. Reconnecting with `Last-Event-ID` (EventSource does it "
        "by itself) or `?after=<seq>` replays what was missed, each event once. A comment is "
        f"sent every {HEARTBEAT_SECONDS} s. EventSource cannot send headers: pass the board "
        "token as `?board_token=`."
    ),
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "The event stream"}},
)
async def stream(
    access: DetachedReadAccess,
    state: StateDep,
    hub: HubDep,
    after: int | None = Query(
        None, ge=0, le=service.MAX_SEQ, description="Replay events after this seq first."
    ),
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", description="Resume after this seq.")
    ] = None,
) -> EventSourceResponse:
    if last_event_id and last_event_id.strip():
        after = service.parse_seq(last_event_id, what="Last-Event-ID")
    return EventSourceResponse(
        event_stream(hub=hub, sessions=state.sessions, store=access.store, after=after),
        ping=HEARTBEAT_SECONDS,
    )
