"""Store routes: create or update by slug (admin), list, get, rotate the board link."""

from __future__ import annotations

from fastapi import APIRouter, Response

from board_api.deps import AdminAccess, AdminDep, PrincipalDep, ReadAccess, SlugPath
from board_api.pagination import CursorQuery, LimitQuery, Page
from board_api.stores import schemas, service
from recon.service.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1/stores", tags=["stores"])


@router.put(
    "/{slug}",
    summary="Create or update a store (admin)",
    responses={201: {"description": "Created"}, 200: {"description": "Updated"}},
)
async def put_store(
    slug: SlugPath,
    data: schemas.StoreUpdate,
    _: AdminDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> schemas.Store:
    store, created = await service.put_store(session, slug=slug, data=data)
    response.status_code = 201 if created else 200
    return service.store_out(store, settings)


@router.get("", summary="Stores the caller may see (all of them for the admin)")
async def list_stores(
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> Page[schemas.Store]:
    stores, next_cursor = await service.list_stores(
        session, principal=principal, limit=limit, cursor=cursor
    )
    return Page(items=[service.store_out(s, settings) for s in stores], next_cursor=next_cursor)


@router.get("/{slug}", summary="One store and its settings")
async def get_store(access: ReadAccess, settings: SettingsDep) -> schemas.Store:
    return service.store_out(access.store, settings)


@router.post(
    "/{slug}/board-token",
    summary="Issue a new board link (admin); the old one stops working",
)
async def rotate_board_token(
    access: AdminAccess, session: SessionDep, settings: SettingsDep
) -> schemas.Store:
    return service.store_out(await service.rotate_board_token(session, access.store), settings)
