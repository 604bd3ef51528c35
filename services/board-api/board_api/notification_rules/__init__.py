"""`GET/PUT /api/v1/stores/{slug}/notification-rules`: who the notifier texts about what."""

from board_api.notification_rules.endpoints import router

__all__ = ["router"]
