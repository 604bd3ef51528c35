"""Store-scoped API tokens as the API shows them (the secret only once, at creation)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from board_api.auth import Scope


class ApiTokenCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"scopes": ["read", "write"], "label": "service drive TV"}]
        },
    )

    scopes: list[Scope] = Field(min_length=1, description="Any of read, write, inventory.")
    label: str = Field(
        min_length=1, max_length=200, description="Who uses it; recorded as the actor of changes."
    )


class ApiToken(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    label: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiTokenCreated(ApiToken):
    token: str = Field(description="The bearer token. Shown only now: store it safely.")
