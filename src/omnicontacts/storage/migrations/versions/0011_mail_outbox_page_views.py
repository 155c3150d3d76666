"""Outgoing mail waits in an outbox table; pages visitors saw before they had a room are kept.

`mail_outbox` holds each mail from the moment the transaction that asked for it commits: a mail
asked for by a write that rolls back never exists, and one that could not be sent yet stays
until a worker of any process sends it. Workers claim due rows by pushing `next_attempt_at`
forward, so two workers never send the same row at once.

`livechat_page_views` keeps the navigation of a visitor who has no conversation yet (Rocket.Chat
keeps it for a month); pages seen during a conversation are messages of its room.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        # Milliseconds since the epoch: sortable and compared the same way on both databases.
        sa.Column("next_attempt_at", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("doc", sa.Text, nullable=False),
    )
    op.create_index("mail_outbox_due", "mail_outbox", ["status", "next_attempt_at"])
    op.create_table(
        "livechat_page_views",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("ts", sa.Text, nullable=False),
        sa.Column("expire_at", sa.Text, nullable=False),
        sa.Column("doc", sa.Text, nullable=False),
    )
    op.create_index("livechat_page_views_token", "livechat_page_views", ["token", "ts"])
    op.create_index("livechat_page_views_expiry", "livechat_page_views", ["expire_at"])


def downgrade() -> None:
    op.drop_table("livechat_page_views")
    op.drop_table("mail_outbox")
