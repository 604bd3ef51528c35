"""The board link's capability: the store whose board token is in the URL path."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Path
from sqlalchemy import select

from recon.db.models import Store
from recon.service.deps import SessionDep


async def _board_store(
    board_token: Annotated[str, Path(max_length=64, description="The store's board token.")],
    session: SessionDep,
) -> Store:
    store = await session.scalar(select(Store).where(Store.board_token == board_token))
    if store is None:
        raise HTTPException(404, "no board at this link; ask your manager for the current one")
    return store


BoardStore = Annotated[Store, Depends(_board_store)]
"""The store of the board link: read-only, no login (a shop TV, a salesperson's phone)."""
