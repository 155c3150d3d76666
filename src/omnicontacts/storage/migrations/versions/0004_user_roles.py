"""User roles as index rows, so "the users with role X" is an index range, not a table scan.

Routing looks up the available agents on every new conversation, and the agent and manager
listings ask the same question; both used to read every user.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_roles",
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("user_id", sa.Text, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.PrimaryKeyConstraint("role", "user_id"),
    )
    op.create_index("user_roles_user", "user_roles", ["user_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "INSERT INTO user_roles (role, user_id) "
            "SELECT DISTINCT role, id FROM users, jsonb_array_elements_text(roles::jsonb) AS role"
        )
    else:
        op.execute(
            "INSERT INTO user_roles (role, user_id) "
            "SELECT DISTINCT roles.value, users.id FROM users, json_each(users.roles) AS roles"
        )


def downgrade() -> None:
    op.drop_table("user_roles")
