"""The inventory-sync dependencies, declared once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_sync.auth import Caller, authorise
from recon.service.deps import SettingsDep, get_session

# Committed before the answer is sent (scope "function"): a client told "created 10" can
# read those units at once, and a failed commit is an error answer, not a silent loss.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

bearer = HTTPBearer(auto_error=False, description="RECON_ADMIN_TOKEN or a store token")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]

WRITE_SCOPES = frozenset({"inventory"})
READ_SCOPES = frozenset({"inventory", "read"})


def _caller_with(scopes: frozenset[str]) -> Callable[..., Awaitable[Caller]]:
    async def caller(
        slug: str, session: SessionDep, settings: SettingsDep, credentials: BearerDep
    ) -> Caller:
        return await authorise(
            session,
            slug=slug,
            token=credentials.credentials if credentials else None,
            admin_token=settings.admin_token,
            scopes=scopes,
        )

    return caller


InventoryWriterDep = Annotated[Caller, Depends(_caller_with(WRITE_SCOPES))]
InventoryReaderDep = Annotated[Caller, Depends(_caller_with(READ_SCOPES))]
