"""Indexes for the write paths: no conversation, rename, close, erasure or block reads a table whole.

- `rooms_contact (contact_id, id)`: a contact's rooms, whatever their state (a rename rewrites
  every room of the contact). The partial indexes on `contact_id` serve only closed or only open
  rooms, so `contact_id = $1 AND t = 'l'` matched neither and read every room.
- `rooms_visitor_open (visitor_id, ts, id) WHERE open`: a visitor's open rooms in time order (a
  new room, a registration, a close, an erasure ask for them). Without it the planner may walk the
  open-room listing in time order and test each row's visitor.

On PostgreSQL, with rows already there (the 10M-room data set), the indexes take a minute or two
to build; the tables stay readable and writable meanwhile only with CONCURRENTLY, which cannot run
inside the migration's transaction, so operators with a big table may create them by hand first
(docs/operations.md): `CREATE INDEX IF NOT EXISTS` here then finds them.

Revision ID: 0014
Revises: 0006
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

INDEXES = {
    "rooms_contact": "rooms (contact_id, id)",
    "rooms_visitor_open": "rooms (visitor_id, ts, id) WHERE open",
}


def upgrade() -> None:
    for name, definition in INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
