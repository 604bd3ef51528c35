"""The board API's dependencies, declared once: who is calling and which store they may use.

Store routes take the store's slug as the `slug` path parameter. `StoreReader` / `StoreWriter`
resolve the `Store` itself; `ReadAccess` / `WriteAccess` also carry the caller (the actor of a
change). Read routes the web board uses accept the store's board token (`?board_token=`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request

from board_api.auth import (
    ADMIN,
    Principal,
    Scope,
    StoreAccess,
    authorize_read,
    authorize_store,
    is_admin_token,
    presented_token,
    resolve_principal,
    unauthorized,
)
from board_api.events.hub import StreamHub
from recon.db.models import Store
from recon.service.deps import SessionDep, SettingsDep, StateDep

SlugPath = Annotated[
    str, Path(description="The store's slug.", examples=["acme-motors"], max_length=64)
]


def store_access(scope: Scope | None, *, board: bool) -> Callable[..., Awaitable[StoreAccess]]:
    """A dependency resolving the path's store for a caller allowed `scope` on it."""

    async def dependency(
        slug: SlugPath, request: Request, session: SessionDep, settings: SettingsDep
    ) -> StoreAccess:
        return await authorize_store(
            session,
            slug=slug,
            token=presented_token(request),
            settings=settings,
            scope=scope,
            board=board,
        )

    return dependency


async def _detached_read_access(slug: SlugPath, request: Request, state: StateDep) -> StoreAccess:
    # No request-scoped session: it would hold a connection for the whole answer (a stream's
    # life; the sending of a cached unit list).
    token = presented_token(request)
    access = await authorize_read(state.reads, slug=slug, token=token, settings=state.settings)
    if access is not None:
        return access
    async with state.sessions() as session, session.begin():
        return await authorize_store(
            session, slug=slug, token=token, settings=state.settings, scope=Scope.READ, board=True
        )


async def _admin(request: Request, settings: SettingsDep) -> Principal:
    token = presented_token(request)
    if token is None:
        raise unauthorized("send 'Authorization: Bearer <admin token>'")
    if not is_admin_token(token, settings):
        raise HTTPException(403, "this needs the admin token")
    return ADMIN


async def _principal(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
    token = presented_token(request)
    if token is None:
        raise unauthorized("send 'Authorization: Bearer <token>'")
    return await resolve_principal(session, token, settings)


ReadAccess = Annotated[StoreAccess, Depends(store_access(Scope.READ, board=True))]
"""Read scope, or the store's board token."""
TokenReadAccess = Annotated[StoreAccess, Depends(store_access(Scope.READ, board=False))]
"""Read scope; the board link is not enough (staff phones, tokens)."""
WriteAccess = Annotated[StoreAccess, Depends(store_access(Scope.WRITE, board=False))]
InventoryAccess = Annotated[StoreAccess, Depends(store_access(Scope.INVENTORY, board=False))]
AdminAccess = Annotated[StoreAccess, Depends(store_access(None, board=False))]
"""The admin token only; another store's token still gets 404, its own 403."""
DetachedReadAccess = Annotated[StoreAccess, Depends(_detached_read_access)]
"""As ReadAccess, checked in a session of its own that is closed before the route runs."""
AdminDep = Annotated[Principal, Depends(_admin)]
PrincipalDep = Annotated[Principal, Depends(_principal)]


def _store_of_read(access: ReadAccess) -> Store:
    return access.store


def _store_of_write(access: WriteAccess) -> Store:
    return access.store


StoreReader = Annotated[Store, Depends(_store_of_read)]
StoreWriter = Annotated[Store, Depends(_store_of_write)]


def _hub(request: Request) -> StreamHub:
    hub: StreamHub = request.app.state.hub
    return hub


HubDep = Annotated[StreamHub, Depends(_hub)]
