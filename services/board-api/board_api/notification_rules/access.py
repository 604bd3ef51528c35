"""Admin-only access for the notification-rules endpoints.

A stand-in: board-api's shared auth dependencies are being written in parallel; at merge, swap
`AdminDep` and `StoreDep` here for the ones in `board_api/deps.py` and delete this module.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, HTTPException
from sqlalchemy import select

from recon.db.models import Store
from recon.domain.errors import NotFound
from recon.service.deps import SessionDep, SettingsDep


def require_admin(settings: SettingsDep, authorization: str | None = Header(default=None)) -> None:
    scheme, _, token = (authorization or "").partition(" ")
    expected = settings.admin_token.get_secret_value()
    if scheme.lower() != "bearer" or not secrets.compare_digest(token.strip(), expected):
        raise HTTPException(
            status_code=401,
            detail="this needs the admin bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )


async def store_by_slug(slug: str, session: SessionDep) -> Store:
    store = await session.scalar(select(Store).where(Store.slug == slug))
    if store is None:
        raise NotFound(f"no store {slug}")
    return store


AdminDep = Annotated[None, Depends(require_admin)]
StoreDep = Annotated[Store, Depends(store_by_slug)]
