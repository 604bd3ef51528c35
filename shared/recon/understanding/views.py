"""Read-only views of a store's units, the sender and the moment: everything interpret() reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class WorkItemView:
    id: str
    name: str
    status: str  # "open" | "done"
    vendor: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True, slots=True)
class UnitView:
    id: str
    stock_number: str
    vin: str
    year: int | None
    make: str | None
    model: str | None
    trim: str | None
    exterior_color: str | None
    stage: str  # a Stage value
    blocker_kind: str | None = None
    blocker_note: str | None = None
    work_items: tuple[WorkItemView, ...] = ()

    @property
    def open_work(self) -> tuple[WorkItemView, ...]:
        return tuple(item for item in self.work_items if item.is_open)

    @property
    def label(self) -> str:
        """How a reply names the unit: stock number, year and model."""
        parts = [self.stock_number]
        if self.year:
            parts.append(str(self.year))
        if self.model:
            parts.append(self.model)
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class SenderView:
    id: str
    name: str
    role: str  # a StaffRole value


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    # Units this sender last talked about within the last two hours, most recent first.
    recent_unit_ids: tuple[str, ...] = ()
    # Timezone-aware, in the store's local time zone ("tomorrow", "friday", "12/3" are local).
    now: datetime
    # How many pictures (MMS media) came with the text: a photo word beside them names what
    # was sent ("pic of 2279"), not a move to the photos stage.
    media_count: int = 0
