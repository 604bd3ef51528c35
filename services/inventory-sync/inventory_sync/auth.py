"""Who may sync a store's inventory: the admin token, or a token of that store with the right
scope. Tokens are stored as the sha256 hex of the token (board-api issues them)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import HTTPException, status
from pydantic import SecretStr
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recon.db.models import ApiToken, Store
from recon.tokens import hash_token


@dataclass(frozen=True, slots=True)
class Caller:
    store: Store
    name: str  # "admin" or the token's label: recorded as the actor of the changes


async def authorise(
    session: AsyncSession,
    *,
    slug: str,
    token: str | None,
    admin_token: SecretStr,
    scopes: frozenset[str],
) -> Caller:
    """The caller for `slug`, or 401 (no or unknown token), 403 (a token of this store without
    any of `scopes`) or 404 (no such store, or a token of another store: it must not learn
    which stores exist)."""
    if not token:
        raise _unauthorised("a bearer token is required")
    store = await session.scalar(select(Store).where(Store.slug == slug))
    if hmac.compare_digest(token.encode(), admin_token.get_secret_value().encode()):
        if store is None:
            raise _no_store(slug)
        return Caller(store=store, name="admin")
    api_token = await session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None)
        )
    )
    if api_token is None:
        raise _unauthorised("the bearer token is unknown or revoked")
    if store is None or api_token.store_id != store.id:
        raise _no_store(slug)
    if not scopes & set(api_token.scopes):
        wanted = " or ".join(sorted(scopes))
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail=f"this token lacks the {wanted} scope"
        )
    await session.execute(
        update(ApiToken).where(ApiToken.id == api_token.id).values(last_used_at=datetime.now(UTC))
    )
    return Caller(store=store, name=api_token.label)


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def _no_store(slug: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no store {slug}")
