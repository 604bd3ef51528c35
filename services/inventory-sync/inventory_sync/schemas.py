"""What inventory-sync answers, as pydantic models."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from recon.domain.inventory import SyncMode


class RejectedVehicle(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    index: int = Field(description="Position of the vehicle in the feed, from 0 (CSV: data rows).")
    vin: str | None
    stock_number: str | None
    errors: list[str] = Field(description="Every reason the row was not applied.")


class InventorySyncSummary(BaseModel):
    """What one sync did."""

    model_config = ConfigDict(from_attributes=True)

    created: int
    updated: int
    unchanged: int
    removed: int
    rejected: list[RejectedVehicle]


class InventorySyncRun(InventorySyncSummary):
    """One run in the sync history."""

    id: uuid.UUID
    source: str = Field(description="push-json, push-csv or pull.")
    mode: SyncMode
    status: str = Field(description="ok (applied), or failed (nothing changed; see error).")
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    error: str | None = Field(description="Why a failed run failed (nothing was changed).")


class InventorySyncPage(BaseModel):
    items: list[InventorySyncRun]
    next_cursor: str | None
