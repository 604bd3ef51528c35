"""Who may read a store's metrics: the admin bearer token, or the store's board token.

A minimal stand-in until board-api's shared auth dependency lands (board_api/deps.py): at the
merge, replace `ReadableStoreDep` with that dependency (read scope or board token). A token
that does not open this store gets the same 404 as a store that does not exist.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from sqlalchemy import select

from recon.db.models import Store
from recon.domain.errors import NotFound
from recon.service.deps import SessionDep, SettingsDep


def _bearer(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


async def readable_store(
    slug: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    board_token: Annotated[
        str | None, Query(description="The store's board token (the board link's capability).")
    ] = None,
) -> Store:
    bearer = _bearer(request)
    if bearer is None and not board_token:
        raise HTTPException(
            status_code=401,
            detail="send the admin token as 'Authorization: Bearer …' or the store's board_token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    store = (await session.execute(select(Store).where(Store.slug == slug))).scalar_one_or_none()
    admin = bearer is not None and _same(bearer, settings.admin_token.get_secret_value())
    board = store is not None and board_token is not None and _same(board_token, store.board_token)
    if store is None or not (admin or board):
        raise NotFound(f"no store {slug}")
    return store


ReadableStoreDep = Annotated[Store, Depends(readable_store)]
