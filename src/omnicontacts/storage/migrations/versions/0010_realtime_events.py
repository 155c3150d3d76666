"""The ordered events table through which SQLite workers hear of each other's committed changes.

A writer adds a row inside its own transaction (a rolled-back write leaves none); every worker
reads the rows past the last id it saw. AUTOINCREMENT keeps ids growing even after old rows are
pruned, so a reader's position is never reused. PostgreSQL workers use LISTEN/NOTIFY instead and
leave the table empty; it exists there too so both databases share one schema.

Revision ID: 0010
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "realtime_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("realtime_events_created_at", "realtime_events", ["created_at"])


def downgrade() -> None:
    op.drop_table("realtime_events")
