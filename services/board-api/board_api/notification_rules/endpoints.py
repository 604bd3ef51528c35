"""Thin handlers over recon.domain.notification_rules."""

from __future__ import annotations

from fastapi import APIRouter

from board_api.deps import AdminAccess
from board_api.notification_rules.schemas import NotificationRules, NotificationRulesUpdate
from recon.domain.notification_rules import load_rules, replace_rules
from recon.service.deps import SessionDep

router = APIRouter(prefix="/api/v1/stores/{slug}/notification-rules", tags=["notification rules"])


@router.get("", summary="The store's notification rules (the defaults until it saves its own)")
async def get_notification_rules(access: AdminAccess, session: SessionDep) -> NotificationRules:
    rules, defaults = await load_rules(session, access.store.id)
    return NotificationRules.of(rules, defaults=defaults)


@router.put("", summary="Replace the store's notification rules (all or nothing)")
async def put_notification_rules(
    body: NotificationRulesUpdate, access: AdminAccess, session: SessionDep
) -> NotificationRules:
    await replace_rules(session, access.store.id, [rule.spec() for rule in body.rules])
    rules, defaults = await load_rules(session, access.store.id)
    return NotificationRules.of(rules, defaults=defaults)
