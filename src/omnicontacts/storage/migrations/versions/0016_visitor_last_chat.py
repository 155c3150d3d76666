"""The visitor directory sorted by last conversation (`livechat/visitors.search` with
`sort={"lastChat.ts": 1}` or `-1`, as Rocket.Chat's clients ask).

`visitors.last_chat_ts` copies the visitor document's `lastChat.ts` (the opening time of their
newest room, set when a room opens); the repository writes it with every visitor save, and this
migration fills it for the visitors that exist. `visitors_last_chat (last_chat_ts NULLS FIRST,
id)` serves the order both ways: read forwards it gives ascending with never-chatted visitors
first (MongoDB's order for a missing field), backwards descending with them last.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

from omnicontacts.jsonutil import loads

# The column is what the repository writes for every visitor, so the backfill asks it for it.
from omnicontacts.livechat.repository import visitor_last_chat_ts

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

BATCH = 5000


def _backfill() -> None:
    bind = op.get_bind()
    select = sa.text(
        "SELECT id, doc FROM visitors WHERE id > :after AND doc LIKE '%\"lastChat\"%' ORDER BY id LIMIT :size"
    )
    update = sa.text("UPDATE visitors SET last_chat_ts = :ts WHERE id = :id")
    after = ""
    while True:
        rows = bind.execute(select, {"after": after, "size": BATCH}).fetchall()
        if not rows:
            return
        changes = [{"id": row[0], "ts": visitor_last_chat_ts(loads(row[1]))} for row in rows]
        bind.execute(update, changes)
        after = rows[-1][0]


def upgrade() -> None:
    op.add_column("visitors", sa.Column("last_chat_ts", sa.Text, nullable=True))
    _backfill()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX visitors_last_chat ON visitors (last_chat_ts NULLS FIRST, id)")
    else:
        # SQLite sorts NULL first ascending already.
        op.execute("CREATE INDEX visitors_last_chat ON visitors (last_chat_ts, id)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS visitors_last_chat")
    # Both databases drop a column in place (SQLite since 3.35): no table rebuild, so the
    # visitors' `seq` rowids, which the trigram table points at, stay as they are.
    op.execute("ALTER TABLE visitors DROP COLUMN last_chat_ts")
