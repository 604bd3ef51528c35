"""The words of every text the notifier sends. Pure: models in, strings out."""

from __future__ import annotations

from collections.abc import Sequence

from recon.db.models import Store, Unit, WorkItem
from recon.events import types as ev

# Twilio's limit for one message body (it splits it into segments on the way).
MAX_BODY = 1600


def stage_label(store: Store, stage: str) -> str:
    return str((store.stage_labels or {}).get(stage) or stage)


def describe(unit: Unit | None, stock_number: str) -> str:
    """`2231 (2019 Chevrolet Silverado, White)`: the stock number people text, and enough of the
    car to find it on the lot."""
    if unit is None:
        return stock_number
    car = " ".join(str(part) for part in (unit.year, unit.make, unit.model) if part)
    details = ", ".join(part for part in (car, unit.exterior_color) if part)
    return f"{stock_number} ({details})" if details else stock_number


def stage_changed(store: Store, unit: Unit | None, data: ev.UnitStageChanged) -> str:
    car = describe(unit, data.stock_number)
    if data.to_stage == "frontline":
        return f"{car} is frontline."
    return f"{car} is ready for {stage_label(store, data.to_stage)}."


def work_order(unit: Unit | None, stock_number: str, items: Sequence[WorkItem]) -> str:
    work = ", ".join(item.name for item in items) or "see the board"
    return (
        f"Work order: {describe(unit, stock_number)}: {work}. "
        f'Text "{stock_number} DONE" when finished.'
    )


def blocked(store: Store, unit: Unit | None, data: ev.UnitBlocked) -> str:
    car = describe(unit, data.stock_number)
    note = f": {data.note}" if data.note else ""
    where = stage_label(store, data.stage)
    if data.kind == "approval":
        return f"{car} needs approval{note} (held in {where})."
    return f"{car} is blocked on {data.kind}{note} (in {where})."


def unblocked(store: Store, unit: Unit | None, data: ev.UnitUnblocked) -> str:
    car = describe(unit, data.stock_number)
    where = stage_label(store, data.stage)
    if data.kind == "parts":
        return f"Parts are in for {car}: it is unblocked in {where}."
    return f"{car} is no longer blocked on {data.kind} (in {where})."


def acknowledged(store: Store, data: ev.UnitAcknowledged) -> str:
    stage = stage_label(store, data.stage)
    where = stage if data.stage == "frontline" else f"in {stage}"
    return f"{data.by} saw {data.stock_number} is {where}."


def overdue(store: Store, unit: Unit, *, days: float, target_hours: float) -> str:
    target_days = target_hours / 24
    return (
        f"{describe(unit, unit.stock_number)} is over target in {stage_label(store, unit.stage)}: "
        f"{days:.1f} days (target {target_days:g} day{'s' if target_days != 1 else ''})."
    )


def combined(bodies: Sequence[str]) -> str:
    """Several texts for one person within the batching window, as one text."""
    if len(bodies) == 1:
        return bodies[0]
    lines: list[str] = [f"{len(bodies)} updates:"]
    for index, body in enumerate(bodies):
        line = f"- {body}"
        rest = len(bodies) - index
        if sum(len(part) + 1 for part in lines) + len(line) + 40 > MAX_BODY:
            lines.append(f"...and {rest} more on the board.")
            break
        lines.append(line)
    return "\n".join(lines)
