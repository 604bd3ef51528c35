"""inventory feed due time and sync history index

Revision ID: 0003_inventory
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_inventory"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "stores", sa.Column("inventory_feed_next_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(
        "ix_inventory_syncs_store_started",
        "inventory_syncs",
        ["store_id", "started_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_inventory_syncs_store_started", table_name="inventory_syncs")
    op.drop_column("stores", "inventory_feed_next_at")
