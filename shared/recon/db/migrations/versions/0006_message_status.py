"""messages: room for every delivery status the SMS provider reports

Twilio's statuses grow now and then ("partially_delivered" is 19 characters); a status
callback is taken whatever word it carries, up to 32 characters.

Revision ID: 0006_message_status
Revises: 0004_ingest
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_message_status"
down_revision = "0004_ingest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("messages", "status", type_=sa.String(32), existing_type=sa.String(16))


def downgrade() -> None:
    op.execute("UPDATE messages SET status = left(status, 16)")
    op.alter_column("messages", "status", type_=sa.String(16), existing_type=sa.String(32))
