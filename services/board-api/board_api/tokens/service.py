"""Issuing, listing and revoking a store's API tokens; only their hash is kept."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from board_api.auth import hash_token, new_api_token
from board_api.tokens import schemas
from recon.db.models import ApiToken, Store


async def issue_token(
    session: AsyncSession, *, store: Store, data: schemas.ApiTokenCreate
) -> tuple[ApiToken, str]:
    """A new token and its secret, which is not stored and cannot be shown again."""
    secret = new_api_token()
    token = ApiToken(
        store_id=store.id,
        label=data.label.strip(),
        scopes=sorted({scope.value for scope in data.scopes}),
        token_hash=hash_token(secret),
    )
    session.add(token)
    await session.flush()
    await session.refresh(token)
    return token, secret


async def list_tokens(session: AsyncSession, *, store: Store) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.store_id == store.id).order_by(ApiToken.created_at)
    return list((await session.scalars(query)).all())


async def revoke_token(session: AsyncSession, *, store: Store, token_id: uuid.UUID) -> ApiToken:
    token = await session.scalar(
        select(ApiToken).where(ApiToken.store_id == store.id, ApiToken.id == token_id)
    )
    if token is None:
        raise HTTPException(404, f"no token {token_id} in store {store.slug!r}")
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        await session.flush()
    return token
