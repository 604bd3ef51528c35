"""The board's routes: the page and its fragments under the board link (`/board/{board_token}`,
read-only, no login), the metrics page, the static files, and the one write route the board
adds to the API (resolving a text that needs review)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse

import recon.domain.units as units
from board_api.deps import WriteAccess
from board_api.messages import schemas as message_schemas
from board_api.messages.service import message_out
from board_api.web import board, review, timeline
from board_api.web.deps import BoardStore
from board_api.web.templating import STATIC_FILES, render
from recon.db.models import Staff
from recon.metrics import MAX_WINDOW_DAYS, compute_store_metrics
from recon.service.deps import SessionDep

router = APIRouter()
pages = APIRouter(prefix="/board/{board_token}", include_in_schema=False)

StageQuery = Annotated[str | None, Query(max_length=16, description="Only this stage.")]
FlagQuery = Annotated[bool, Query()]
SearchQuery = Annotated[str | None, Query(max_length=200)]


def _filters(
    stage: StageQuery = None,
    blocked: FlagQuery = False,
    over: FlagQuery = False,
    q: SearchQuery = None,
    sold: FlagQuery = False,
) -> board.BoardFilters:
    return board.BoardFilters.parse(stage=stage, blocked=blocked, over=over, q=q, sold=sold)


Filters = Annotated[board.BoardFilters, Depends(_filters)]


@pages.get("", response_class=HTMLResponse)
async def board_page(
    request: Request,
    store: BoardStore,
    session: SessionDep,
    filters: Filters,
    tv: FlagQuery = False,
) -> HTMLResponse:
    at = units.now()
    loaded = await board.load_board(session, store=store, filters=filters, at=at)
    waiting = await board.needs_review(session, store=store)
    return render(request, "board.html", store=store, at=at, board=loaded, review=waiting, tv=tv)


@pages.get("/columns", response_class=HTMLResponse)
async def board_columns(
    request: Request,
    store: BoardStore,
    session: SessionDep,
    filters: Filters,
) -> HTMLResponse:
    """The columns alone: a new filter, or a live change while a filter is on."""
    at = units.now()
    loaded = await board.load_board(session, store=store, filters=filters, at=at)
    return render(request, "_columns.html", store=store, at=at, board=loaded)


@pages.get("/cards/{unit_id}", response_class=HTMLResponse)
async def board_card(
    request: Request, unit_id: uuid.UUID, store: BoardStore, session: SessionDep
) -> HTMLResponse:
    """One unit's card, re-rendered after a live event; 404 once it has left the board."""
    at = units.now()
    card = await board.load_card(session, store=store, unit_id=unit_id, at=at)
    return render(request, "_card.html", store=store, at=at, card=card)


@pages.get("/units/{unit_id}", response_class=HTMLResponse)
async def unit_drawer(
    request: Request, unit_id: uuid.UUID, store: BoardStore, session: SessionDep
) -> HTMLResponse:
    at = units.now()
    drawer = await timeline.load_drawer(session, store=store, unit_id=unit_id, at=at)
    return render(request, "_drawer.html", store=store, at=at, drawer=drawer)


@pages.get("/review", response_class=HTMLResponse)
async def review_list(request: Request, store: BoardStore, session: SessionDep) -> HTMLResponse:
    at = units.now()
    waiting = await board.needs_review(session, store=store)
    return render(request, "_review.html", store=store, at=at, review=waiting)


@pages.get("/metrics", response_class=HTMLResponse)
async def metrics_page(
    request: Request,
    store: BoardStore,
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=MAX_WINDOW_DAYS)] = 30,
    tv: FlagQuery = False,
) -> HTMLResponse:
    at = units.now()
    metrics = await compute_store_metrics(session, store=store, days=days)
    return render(request, "metrics.html", store=store, at=at, metrics=metrics, days=days, tv=tv)


router.include_router(pages)


@router.get("/static/board/{name}", include_in_schema=False)
async def static_file(name: str) -> Response:
    path = STATIC_FILES.get(name)
    if path is None:
        raise HTTPException(404, f"no static file {name!r}")
    # Addressed by content hash (`?v=`), so a cached copy is never stale.
    return FileResponse(path, headers={"Cache-Control": "public, max-age=31536000, immutable"})


@router.post(
    "/api/v1/stores/{slug}/messages/{message_id}/resolve",
    tags=["messages"],
    summary="Mark a text that needs review as resolved (after acting on it through the unit "
    "actions), linked to the unit it was about",
    responses={404: {"description": "No such inbound text"}, 409: {"description": "Not waiting"}},
)
async def resolve_message(
    message_id: uuid.UUID,
    body: review.MessageResolve,
    access: WriteAccess,
    session: SessionDep,
) -> message_schemas.Message:
    message = await review.resolve_message(session, access=access, message_id=message_id, body=body)
    staff = await session.get(Staff, message.staff_id) if message.staff_id else None
    return message_out(message, staff)
