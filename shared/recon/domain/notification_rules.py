"""Who hears about what: a store's notification rules, with the defaults a store starts with.

A rule maps an event type (optionally narrowed to a stage or a blocker kind) to recipients:
staff roles, named staff, or people related to the unit (`RELATED_RECIPIENTS`). A store with no
rules of its own uses `DEFAULT_RULES`; saving rules replaces the whole set.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from recon.db.models import NotificationRule, Staff
from recon.domain.errors import InvalidInput
from recon.domain.stages import BlockerKind, StaffRole, Stage

# The events a rule can name. `unit.overdue` and `digest` are the notifier's own: a unit past
# its stage target, and the morning standup.
RULE_EVENT_TYPES = (
    "unit.stage_changed",
    "unit.blocked",
    "unit.unblocked",
    "unit.acknowledged",
    "unit.overdue",
    "digest",
)

# Recipients named by their relation to the unit rather than by role.
RELATED_RECIPIENTS = {
    "unit_vendor": "the vendor of the unit's open outside work (gets a work order)",
    "last_technician": "the technician who last worked the unit",
    "last_changer": "the staff member who made the unit's last change",
}


@dataclass(frozen=True, slots=True)
class RuleSpec:
    event_type: str
    roles: tuple[str, ...] = ()
    staff_ids: tuple[uuid.UUID, ...] = ()
    stage: str | None = None
    blocker_kind: str | None = None
    enabled: bool = True
    id: uuid.UUID | None = field(default=None, compare=False)

    def matches(self, event_type: str, *, stage: str | None, blocker_kind: str | None) -> bool:
        return (
            self.enabled
            and self.event_type == event_type
            and (self.stage is None or self.stage == stage)
            and (self.blocker_kind is None or self.blocker_kind == blocker_kind)
        )


MANAGERS = (StaffRole.USED_CAR_MANAGER.value, StaffRole.SERVICE_MANAGER.value)

DEFAULT_RULES: tuple[RuleSpec, ...] = (
    RuleSpec("unit.stage_changed", stage=Stage.DETAIL.value, roles=(StaffRole.DETAILER.value,)),
    RuleSpec("unit.stage_changed", stage=Stage.PHOTOS.value, roles=(StaffRole.PHOTOGRAPHER.value,)),
    RuleSpec(
        "unit.stage_changed",
        stage=Stage.FRONTLINE.value,
        roles=(StaffRole.SALES.value, StaffRole.USED_CAR_MANAGER.value),
    ),
    RuleSpec("unit.stage_changed", stage=Stage.SUBLET.value, roles=("unit_vendor",)),
    RuleSpec("unit.blocked", blocker_kind=BlockerKind.APPROVAL.value, roles=MANAGERS),
    RuleSpec("unit.unblocked", blocker_kind=BlockerKind.PARTS.value, roles=("last_technician",)),
    RuleSpec("unit.acknowledged", roles=("last_changer",)),
    RuleSpec("unit.overdue", roles=(StaffRole.USED_CAR_MANAGER.value,)),
    RuleSpec("digest", roles=MANAGERS),
)

_RECIPIENT_NAMES = frozenset({role.value for role in StaffRole} | set(RELATED_RECIPIENTS))


def check_rule(rule: RuleSpec) -> RuleSpec:
    """The rule, or InvalidInput saying what is wrong with it."""
    if rule.event_type not in RULE_EVENT_TYPES:
        raise InvalidInput(
            f"event_type {rule.event_type!r} is not one of {', '.join(RULE_EVENT_TYPES)}"
        )
    if rule.stage is not None and rule.stage not in {stage.value for stage in Stage}:
        raise InvalidInput(f"stage {rule.stage!r} is not a stage")
    if rule.blocker_kind is not None:
        if rule.event_type not in ("unit.blocked", "unit.unblocked"):
            raise InvalidInput("blocker_kind only applies to unit.blocked and unit.unblocked")
        if rule.blocker_kind not in {kind.value for kind in BlockerKind}:
            raise InvalidInput(f"blocker_kind {rule.blocker_kind!r} is not a blocker kind")
    unknown = [role for role in rule.roles if role not in _RECIPIENT_NAMES]
    if unknown:
        raise InvalidInput(
            f"unknown role {unknown[0]!r}: use a staff role or one of "
            + ", ".join(RELATED_RECIPIENTS)
        )
    if not rule.roles and not rule.staff_ids:
        raise InvalidInput("a rule needs roles or staff_ids to send to")
    return rule


async def load_rules(session: AsyncSession, store_id: uuid.UUID) -> tuple[list[RuleSpec], bool]:
    """The store's rules, and whether they are the defaults (it has none of its own)."""
    rows = (
        await session.scalars(
            select(NotificationRule)
            .where(NotificationRule.store_id == store_id)
            .order_by(NotificationRule.created_at, NotificationRule.id)
        )
    ).all()
    if not rows:
        return list(DEFAULT_RULES), True
    return [
        RuleSpec(
            event_type=row.event_type,
            roles=tuple(row.roles),
            staff_ids=tuple(row.staff_ids),
            stage=row.stage,
            blocker_kind=row.blocker_kind,
            enabled=row.enabled,
            id=row.id,
        )
        for row in rows
    ], False


async def replace_rules(
    session: AsyncSession, store_id: uuid.UUID, rules: Sequence[RuleSpec]
) -> None:
    """Make `rules` the store's whole rule set (an empty list goes back to the defaults).

    All or nothing: a rule set half saved would silently stop texts someone relies on, so a
    bad rule refuses the lot, naming it by index.
    """
    wanted_staff = {staff_id for rule in rules for staff_id in rule.staff_ids}
    known = set(
        (
            await session.scalars(
                select(Staff.id).where(Staff.store_id == store_id, Staff.id.in_(wanted_staff))
            )
        ).all()
    )
    for index, rule in enumerate(rules):
        try:
            check_rule(rule)
        except InvalidInput as exc:
            raise InvalidInput(f"rules[{index}]: {exc}") from exc
        missing = [staff_id for staff_id in rule.staff_ids if staff_id not in known]
        if missing:
            raise InvalidInput(f"rules[{index}]: no staff {missing[0]} in this store")
    await session.execute(delete(NotificationRule).where(NotificationRule.store_id == store_id))
    saved_at = datetime.now(UTC)  # one microsecond apart, so the rules keep their order
    session.add_all(
        NotificationRule(
            id=uuid.uuid4(),
            store_id=store_id,
            event_type=rule.event_type,
            stage=rule.stage,
            blocker_kind=rule.blocker_kind,
            roles=list(rule.roles),
            staff_ids=list(rule.staff_ids),
            enabled=rule.enabled,
            created_at=saved_at + timedelta(microseconds=index),
        )
        for index, rule in enumerate(rules)
    )
    await session.flush()
