"""Token routes (admin): issue (shown once), list, revoke."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from board_api.deps import AdminAccess
from board_api.pagination import Page
from board_api.tokens import schemas, service
from recon.service.deps import SessionDep

router = APIRouter(prefix="/api/v1/stores/{slug}/tokens", tags=["tokens"])


@router.post("", status_code=201, summary="Issue a store API token (admin); shown once")
async def issue_token(
    data: schemas.ApiTokenCreate, access: AdminAccess, session: SessionDep
) -> schemas.ApiTokenCreated:
    token, secret = await service.issue_token(session, store=access.store, data=data)
    return schemas.ApiTokenCreated.model_validate({**_fields(token), "token": secret})


@router.get("", summary="The store's API tokens, without their secrets (admin)")
async def list_tokens(access: AdminAccess, session: SessionDep) -> Page[schemas.ApiToken]:
    tokens = await service.list_tokens(session, store=access.store)
    return Page(items=[schemas.ApiToken.model_validate(t) for t in tokens], next_cursor=None)


@router.delete("/{token_id}", summary="Revoke a token (admin); it stops working at once")
async def revoke_token(
    token_id: uuid.UUID, access: AdminAccess, session: SessionDep
) -> schemas.ApiToken:
    token = await service.revoke_token(session, store=access.store, token_id=token_id)
    return schemas.ApiToken.model_validate(token)


def _fields(token: object) -> dict[str, object]:
    return schemas.ApiToken.model_validate(token).model_dump()
