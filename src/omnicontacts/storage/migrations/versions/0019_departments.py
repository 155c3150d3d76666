"""Livechat departments, their agents, and the department of each room.

`departments` keeps each department's wire document in `doc`, beside the columns its listings
read: `name` (binary order, as MongoDB sorts it), `enabled`, `archived` and `num_agents` (the
widget lists enabled departments that have agents). `department_agents` holds one row per
(department, agent), with the agent's username for the default order of a department's agents.

`rooms.department_id` mirrors the room's `departmentId`: `rooms_department (department_id, ts,
id)` serves livechat/rooms filtered by department (newest first, its default order) and the
removal of a department, which unsets it on its rooms, without reading every room. Adding the nullable column
rewrites nothing; the partial index holds only rooms that have a department (none before this
revision), though building it still reads the table once (minutes at 10M rooms).

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# Names sort by code point, as MongoDB's default (binary) collation does.
SortedText = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", SortedText, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("num_agents", sa.Integer, nullable=False, server_default="0"),
        sa.Column("doc", sa.Text, nullable=False),
    )
    op.create_index("departments_listing", "departments", ["archived", "name", "id"])
    op.create_index("departments_name", "departments", ["name"])
    op.create_table(
        "department_agents",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("department_id", sa.Text, nullable=False),
        sa.Column("agent_id", sa.Text, nullable=False),
        sa.Column("username", SortedText, nullable=False),
        sa.Column("doc", sa.Text, nullable=False),
    )
    op.create_index("department_agents_member", "department_agents", ["department_id", "agent_id"], unique=True)
    op.create_index("department_agents_order", "department_agents", ["department_id", "username", "id"])
    # The departments of an agent whose agent role is removed.
    op.create_index("department_agents_agent", "department_agents", ["agent_id"])
    # An operator may have added the column and built the index beforehand (docs/operations.md).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE rooms ADD COLUMN IF NOT EXISTS department_id text")
    else:
        op.add_column("rooms", sa.Column("department_id", sa.Text, nullable=True))
    op.execute(
        "CREATE INDEX IF NOT EXISTS rooms_department ON rooms (department_id, ts, id) WHERE department_id IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS rooms_department")
    op.drop_column("rooms", "department_id")
    op.drop_table("department_agents")
    op.drop_table("departments")
