"""notifier: index notifications by the message that carries them

The sender confirms, fails and re-claims texts by their outbound message; without this index
each of those would scan every notification ever written.

Revision ID: 0005_notifier
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0005_notifier"
down_revision = "0003_inventory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notifications_message_id", "notifications", ["message_id"])


def downgrade() -> None:
    op.drop_index("ix_notifications_message_id", table_name="notifications")
