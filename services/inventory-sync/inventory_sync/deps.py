"""The inventory-sync dependencies, declared once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from inventory_sync.auth import Caller, authorise
from recon.service.deps import SessionDep, SettingsDep

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
