"""ingest-sms: index the reply to a text

Revision ID: 0004_ingest
Revises: 0001
Create Date: 2026-11-25 17:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_ingest"
down_revision: str | None = "0005_notifier"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A repeated MessageSid is answered with the stored reply, and "replied in the last 24 h?"
    # joins a number's texts to their replies: both look replies up by reply_to_id.
    op.create_index(
        "ix_messages_reply_to",
        "messages",
        ["reply_to_id"],
        unique=False,
        postgresql_where=sa.text("reply_to_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_reply_to", table_name="messages")
