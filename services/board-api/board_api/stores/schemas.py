"""Stores as the API reads and writes them."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, time
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl

from board_api.schemas import Phone
from recon.domain.stages import Stage

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name!r} is not an IANA time zone such as 'America/Chicago'") from exc
    return name


TimeZone = Annotated[str, AfterValidator(_timezone)]

# A recon stage target beyond ten years is a typo; larger numbers overflow date arithmetic.
MAX_STAGE_TARGET_HOURS = 87_600
TargetHours = Annotated[float, Field(gt=0, le=MAX_STAGE_TARGET_HOURS, allow_inf_nan=False)]

STORE_EXAMPLE: dict[str, Any] = {
    "name": "Acme Motors",
    "sms_number": "(512) 555-0100",
    "timezone": "America/Chicago",
    "holding_cost_per_day": 35,
    "stage_targets_hours": {"mechanical": 48, "detail": 24},
}


class StoreUpdate(BaseModel):
    """Create or update a store. Fields left out keep their current (or default) value."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [STORE_EXAMPLE]})

    name: str = Field(min_length=1, max_length=200)
    sms_number: Phone = Field(description="The store's shared texting number; stored as E.164.")
    timezone: TimeZone | None = None
    holding_cost_per_day: Decimal | None = Field(
        default=None, ge=0, max_digits=10, decimal_places=2
    )
    stage_targets_hours: dict[Stage, TargetHours] | None = Field(
        default=None,
        description="Hours a unit should spend per stage (more than 0, at most "
        f"{MAX_STAGE_TARGET_HOURS:,}), merged over the defaults: a stage left out gets its "
        "default target.",
    )
    stage_labels: dict[Stage, Annotated[str, Field(min_length=1, max_length=40)]] | None = None
    quiet_hours_start: time | None = None
    quiet_hours_end: time | None = None
    digest_time: time | None = None
    inventory_feed_url: HttpUrl | None = None
    inventory_feed_interval_minutes: int | None = Field(default=None, ge=5, le=1440)


class Store(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    name: str
    sms_number: str
    timezone: str
    holding_cost_per_day: float
    stage_targets_hours: dict[str, float]
    stage_labels: dict[str, str]
    quiet_hours_start: time | None
    quiet_hours_end: time | None
    digest_time: time
    inventory_feed_url: str | None
    inventory_feed_interval_minutes: int
    board_token: str = Field(description="The read-only board capability (rotatable).")
    board_url: str
    created_at: datetime
    updated_at: datetime
