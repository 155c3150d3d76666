"""Counters for the API rate limiter and for failed logins.

`api_rate_limits` holds one fixed window per (client address, route): what the workers of every
host count against on PostgreSQL, where it is UNLOGGED (a crash may forget a minute of counts,
never worth a WAL write per request). SQLite deployments count in each worker's memory and leave
it empty. `login_failures` counts failed logins per username and per address since the last
success (`Block_Multiple_Failed_Logins_*`), on both databases.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE UNLOGGED TABLE api_rate_limits ("
            "key TEXT PRIMARY KEY, window_start BIGINT NOT NULL, hits INTEGER NOT NULL)"
        )
    else:
        op.create_table(
            "api_rate_limits",
            sa.Column("key", sa.Text, primary_key=True),
            sa.Column("window_start", sa.BigInteger, nullable=False),
            sa.Column("hits", sa.Integer, nullable=False),
        )
    op.create_table(
        "login_failures",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("login_failures")
    op.drop_table("api_rate_limits")
