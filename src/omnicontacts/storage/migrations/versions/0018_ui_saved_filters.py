"""The Contact Center's saved filters: each user's named sets of contact-list filters.

`ui_saved_filters` holds one row per (user, name); `query` is the filter set as JSON (search
text, filters, sort), the same keys the contacts page reads from its URL. The page lists a
user's filters by name, read from the primary key's order; a user's rows go with the user
(cascade, and the account deletion removes them explicitly, as SQLite may not enforce keys).

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ui_saved_filters",
        sa.Column("user_id", sa.Text, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "name"),
    )


def downgrade() -> None:
    op.drop_table("ui_saved_filters")
