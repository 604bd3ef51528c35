"""Staff as the API reads and writes them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from board_api.schemas import Phone
from recon.domain.stages import StaffRole

ALLOWED_ROLES = ", ".join(role.value for role in StaffRole)


def _known_role(value: object) -> object:
    if isinstance(value, str) and value.strip().lower() in StaffRole.__members__.values():
        return value.strip().lower()
    raise ValueError(f"unknown role {value!r}; allowed roles: {ALLOWED_ROLES}")


Role = Annotated[StaffRole, BeforeValidator(_known_role)]


class StaffCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "Dana Ruiz", "phone": "(512) 555-0101", "role": "technician"}]
        },
    )

    name: str = Field(min_length=1, max_length=200)
    phone: Phone
    role: Role


class StaffUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"role": "service_advisor", "sms_opt_out": False}]},
    )

    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: Phone | None = None
    role: Role | None = None
    active: bool | None = None
    sms_opt_out: bool | None = None


class Staff(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    phone: str
    role: str
    active: bool
    sms_opt_out: bool
    created_at: datetime
    updated_at: datetime
