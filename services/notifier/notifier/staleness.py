"""Whether a queued notice is still true when it is about to go out.

The rule: a notice is sent only if the change it announces still holds on the unit. A notice
names the event that caused it, and that event set one thing about the unit: its stage (a move,
and so also an acknowledgement of the stage or a stage visit running over target) or its
blocker. The notice stops holding once a later event on the same unit set that same thing again
(an UNDO's move back, a further move, a blocker cleared or replaced, a parts blocker back on) or
took the unit off the board. Whatever set it last carries its own notice, if anyone is to hear.

The sender asks this once, when pending rows become a text (the batching window's flush, the
end of the quiet hours); the rows that no longer hold are recorded `skipped` with the reason
`stale` and the rest of the text still goes. Rows already `sending` are never re-worded: a send
retried after a crash must carry the very body the provider may already have accepted.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from recon.db.models import Notification, UnitEvent

# The `error_code` of a notification dropped because its news no longer holds.
STALE = "stale"

_STAGE = frozenset({"unit.stage_changed"})
_BLOCKER = frozenset({"unit.blocked", "unit.unblocked"})
_REMOVED = "unit.removed"

# For each event a notice can name, the later events on the same unit that overturn it.
OVERTURNED_BY: Mapping[str, frozenset[str]] = {
    # "2231 is ready for detail", a vendor's work order for sublet: the unit is in that stage.
    "unit.stage_changed": _STAGE | {_REMOVED},
    # A stage visit's first event names the overdue notice for that visit (see `overdue`).
    "unit.created": _STAGE | {_REMOVED},
    # "Rob saw 2231 is frontline": the unit is in the stage that was seen.
    "unit.acknowledged": _STAGE | {_REMOVED},
    # "needs approval" / "Parts are in …": the unit's blocker is what the event made it.
    "unit.blocked": _BLOCKER | {_REMOVED},
    "unit.unblocked": _BLOCKER | {_REMOVED},
}
_OTHERWISE = frozenset({_REMOVED})
_ALL: frozenset[str] = frozenset().union(*OVERTURNED_BY.values())


def still_holds(event_type: str, seq: int, latest: Mapping[str, int]) -> bool:
    """Whether an event of `event_type` (number `seq`) still holds, given the unit's latest
    event number of each type after it (`latest`, by type)."""
    overturning = OVERTURNED_BY.get(event_type, _OTHERWISE)
    return not any(latest.get(kind, -1) > seq for kind in overturning)


async def stale_notices(session: AsyncSession, rows: Sequence[Notification]) -> set[uuid.UUID]:
    """The ids of those `rows` whose news no longer holds. Rows about no unit (the digest) or
    naming no unit event hold."""
    event_ids = {row.event_id for row in rows if row.unit_id is not None}
    if not event_ids:
        return set()
    found_events = await session.execute(
        select(UnitEvent.id, UnitEvent.unit_id, UnitEvent.type, UnitEvent.seq).where(
            UnitEvent.id.in_(event_ids)
        )
    )
    events: dict[uuid.UUID, tuple[uuid.UUID, str, int]] = {
        event_id: (unit_id, event_type, seq)
        for event_id, unit_id, event_type, seq in found_events.all()
        if unit_id is not None
    }
    if not events:
        return set()
    latest: dict[uuid.UUID, dict[str, int]] = {}
    found = await session.execute(
        select(UnitEvent.unit_id, UnitEvent.type, func.max(UnitEvent.seq))
        .where(
            UnitEvent.unit_id.in_({unit_id for unit_id, _, _ in events.values()}),
            UnitEvent.seq > min(seq for _, _, seq in events.values()),
            UnitEvent.type.in_(_ALL),
        )
        .group_by(UnitEvent.unit_id, UnitEvent.type)
    )
    for unit_id, event_type, seq in found.all():
        if unit_id is not None:
            latest.setdefault(unit_id, {})[event_type] = seq
    stale: set[uuid.UUID] = set()
    for row in rows:
        event = events.get(row.event_id) if row.unit_id is not None else None
        if event is None:
            continue
        unit_id, event_type, seq = event
        if not still_holds(event_type, seq, latest.get(unit_id, {})):
            stale.add(row.id)
    return stale
