"""The stage machine: which stages exist, their order, and where "done" takes a unit. Pure, no I/O."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    INTAKE = "intake"
    INSPECTION = "inspection"
    MECHANICAL = "mechanical"
    SUBLET = "sublet"
    DETAIL = "detail"
    PHOTOS = "photos"
    FRONTLINE = "frontline"
    SOLD = "sold"


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)

# Stages a unit is "in recon" for: the holding-cost clock runs until frontline.
RECON_STAGES: tuple[Stage, ...] = STAGE_ORDER[: STAGE_ORDER.index(Stage.FRONTLINE)]

DEFAULT_STAGE_TARGETS_HOURS: dict[str, float] = {
    Stage.INTAKE: 24,
    Stage.INSPECTION: 24,
    Stage.MECHANICAL: 48,
    Stage.SUBLET: 72,
    Stage.DETAIL: 24,
    Stage.PHOTOS: 24,
}


class BlockerKind(StrEnum):
    PARTS = "parts"
    APPROVAL = "approval"
    VENDOR = "vendor"
    OTHER = "other"


class StaffRole(StrEnum):
    TECHNICIAN = "technician"
    SERVICE_ADVISOR = "service_advisor"
    SERVICE_MANAGER = "service_manager"
    PARTS = "parts"
    DETAILER = "detailer"
    PHOTOGRAPHER = "photographer"
    PORTER = "porter"
    USED_CAR_MANAGER = "used_car_manager"
    SALES = "sales"
    VENDOR = "vendor"
    ADMIN = "admin"


# The stage whose "done" a role reports. Technicians work two stages: their done means
# whichever of inspection or mechanical the car is in (see `stage_for_done`).
ROLE_DONE_STAGE: dict[StaffRole, Stage] = {
    StaffRole.DETAILER: Stage.DETAIL,
    StaffRole.PHOTOGRAPHER: Stage.PHOTOS,
    StaffRole.VENDOR: Stage.SUBLET,
}

SHOP_ROLES = frozenset(
    {StaffRole.TECHNICIAN, StaffRole.SERVICE_ADVISOR, StaffRole.SERVICE_MANAGER, StaffRole.PARTS}
)


def stage_index(stage: Stage | str) -> int:
    return STAGE_ORDER.index(Stage(stage))


def is_past(current: Stage | str, stage: Stage | str) -> bool:
    """True when a unit in `current` has already left `stage` behind in the normal flow."""
    return stage_index(current) > stage_index(stage)


def stage_for_done(role: StaffRole | str, current: Stage | str) -> Stage:
    """The stage a bare "done" from someone in `role` refers to, given where the car is now.

    Shop staff finish whichever shop step the car is in (intake counts as the start of
    inspection); managers and porters finish the car's current stage.
    """
    role = StaffRole(role)
    current = Stage(current)
    if role in ROLE_DONE_STAGE:
        return ROLE_DONE_STAGE[role]
    if role in SHOP_ROLES:
        if current in (Stage.INTAKE, Stage.INSPECTION):
            return Stage.INSPECTION
        return Stage.MECHANICAL
    return current


def next_stage_after_done(
    done_stage: Stage | str, *, open_shop_work: bool, open_vendor_work: bool
) -> Stage:
    """Where a unit goes when `done_stage` is finished.

    Inspection that found work sends the car to the shop, one that found nothing skips it.
    The shop hands over to sublet only when outside work is still open. Sublet returns to
    detail unless mechanical work is still open.
    """
    done_stage = Stage(done_stage)
    match done_stage:
        case Stage.INTAKE:
            return Stage.INSPECTION
        case Stage.INSPECTION:
            if open_shop_work:
                return Stage.MECHANICAL
            return Stage.SUBLET if open_vendor_work else Stage.DETAIL
        case Stage.MECHANICAL:
            return Stage.SUBLET if open_vendor_work else Stage.DETAIL
        case Stage.SUBLET:
            return Stage.MECHANICAL if open_shop_work else Stage.DETAIL
        case Stage.DETAIL:
            return Stage.PHOTOS
        case Stage.PHOTOS:
            return Stage.FRONTLINE
        case Stage.FRONTLINE:
            return Stage.SOLD
        case Stage.SOLD:
            raise ValueError("a sold unit has no next stage")
