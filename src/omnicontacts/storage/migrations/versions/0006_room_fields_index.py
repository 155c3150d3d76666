"""livechat/rooms' `customFields` filter is served by an index, as every other filter is.

`rooms.fields_text` holds the room's text custom fields (`livechatData`) as
"\\x1ekey\\x1fvalue\\x1e…", values lower-cased with Python. A pg_trgm GIN index (PostgreSQL) or an
FTS5 trigram table (SQLite) on it finds the rooms whose field holds the text asked for; the
filter then checks the document itself, so the answer is exact.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from omnicontacts.jsonutil import loads

# The column is what the repository writes for every room, so the backfill asks it for it.
from omnicontacts.livechat.repository import fields_text

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    op.add_column("rooms", sa.Column("fields_text", sa.Text, nullable=True))
    _backfill()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX rooms_fields_trgm ON rooms USING gin (fields_text gin_trgm_ops)")
        return
    op.execute(
        "CREATE VIRTUAL TABLE rooms_fields_fts USING fts5("
        "fields_text, content='rooms', content_rowid='seq', tokenize='trigram')"
    )
    op.execute("INSERT INTO rooms_fields_fts(rooms_fields_fts) VALUES ('rebuild')")
    op.execute(
        "CREATE TRIGGER rooms_fields_fts_insert AFTER INSERT ON rooms BEGIN "
        "INSERT INTO rooms_fields_fts(rowid, fields_text) VALUES (new.seq, new.fields_text); END"
    )
    op.execute(
        "CREATE TRIGGER rooms_fields_fts_delete AFTER DELETE ON rooms BEGIN "
        "INSERT INTO rooms_fields_fts(rooms_fields_fts, rowid, fields_text) "
        "VALUES ('delete', old.seq, old.fields_text); END"
    )
    # Every room save rewrites all its columns; only a change of the fields touches the index.
    op.execute(
        "CREATE TRIGGER rooms_fields_fts_update AFTER UPDATE OF fields_text ON rooms "
        "WHEN old.fields_text IS NOT new.fields_text BEGIN "
        "INSERT INTO rooms_fields_fts(rooms_fields_fts, rowid, fields_text) "
        "VALUES ('delete', old.seq, old.fields_text); "
        "INSERT INTO rooms_fields_fts(rowid, fields_text) VALUES (new.seq, new.fields_text); END"
    )


def _backfill() -> None:
    """Only rooms with a non-empty `livechatData` object can have fields (documents are stored as
    compact JSON; the spaced form is read too); in batches by id."""
    bind = op.get_bind()
    select = sa.text(
        "SELECT id, doc FROM rooms WHERE id > :after "
        'AND (doc LIKE \'%"livechatData":{"%\' OR doc LIKE \'%"livechatData": {"%\') ORDER BY id LIMIT :size'
    )
    update = sa.text("UPDATE rooms SET fields_text = :text WHERE id = :id")
    after = ""
    while True:
        rows = bind.execute(select, {"after": after, "size": BATCH}).fetchall()
        if not rows:
            return
        changes = [{"id": row[0], "text": fields_text(loads(row[1]))} for row in rows]
        changes = [change for change in changes if change["text"] is not None]
        if changes:
            bind.execute(update, changes)
        after = rows[-1][0]


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS rooms_fields_trgm")
    else:
        for trigger in ("rooms_fields_fts_insert", "rooms_fields_fts_delete", "rooms_fields_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS rooms_fields_fts")
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("fields_text")
