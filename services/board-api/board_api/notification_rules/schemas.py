"""The notification rules as the API shows and takes them."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from recon.domain.notification_rules import RuleSpec


class NotificationRuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_type: str = Field(
        description="unit.stage_changed, unit.blocked, unit.unblocked, unit.acknowledged, "
        "unit.overdue or digest.",
        examples=["unit.stage_changed"],
    )
    stage: str | None = Field(default=None, description="Only for units in (or moved to) it.")
    blocker_kind: str | None = Field(
        default=None, description="Only for blockers of this kind (parts, approval, vendor, other)."
    )
    roles: list[str] = Field(
        default_factory=list,
        description="Staff roles, or unit_vendor / last_technician / last_changer.",
        examples=[["detailer"]],
    )
    staff_ids: list[uuid.UUID] = Field(default_factory=list, description="Named staff members.")
    enabled: bool = True

    def spec(self) -> RuleSpec:
        return RuleSpec(
            event_type=self.event_type,
            roles=tuple(self.roles),
            staff_ids=tuple(self.staff_ids),
            stage=self.stage,
            blocker_kind=self.blocker_kind,
            enabled=self.enabled,
        )


RULES_EXAMPLE: dict[str, Any] = {
    "rules": [
        {
            "event_type": "unit.stage_changed",
            "stage": "detail",
            "blocker_kind": None,
            "roles": ["detailer"],
            "staff_ids": [],
            "enabled": True,
        },
        {
            "event_type": "unit.blocked",
            "stage": None,
            "blocker_kind": "approval",
            "roles": ["used_car_manager", "service_manager"],
            "staff_ids": [],
            "enabled": True,
        },
    ]
}


class NotificationRulesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [RULES_EXAMPLE]})

    rules: list[NotificationRuleCreate] = Field(
        description="The store's whole rule set; an empty list goes back to the defaults."
    )


class NotificationRule(NotificationRuleCreate):
    id: uuid.UUID | None = Field(description="null for a default rule.")

    @classmethod
    def of(cls, rule: RuleSpec) -> NotificationRule:
        return cls(
            id=rule.id,
            event_type=rule.event_type,
            stage=rule.stage,
            blocker_kind=rule.blocker_kind,
            roles=list(rule.roles),
            staff_ids=list(rule.staff_ids),
            enabled=rule.enabled,
        )


class NotificationRules(BaseModel):
    items: list[NotificationRule]
    next_cursor: str | None = None
    defaults: bool = Field(description="True while the store uses the default rules.")

    @classmethod
    def of(cls, rules: list[RuleSpec], *, defaults: bool) -> NotificationRules:
        return cls(items=[NotificationRule.of(rule) for rule in rules], defaults=defaults)
