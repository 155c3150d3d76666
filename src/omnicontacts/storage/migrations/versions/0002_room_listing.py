"""Room listing (livechat/rooms) and the inquiry queue (livechat/inquiries.list).

Rooms get the plain columns their listing filters and sorts on: `fname` (binary order),
`fname_key` (lower-cased, for the case-insensitive name search), `served_by` (the serving
agent's id); their tags move to a narrow `room_tags (room_id, tag)` table. A trigram index serves
the name search on both databases (pg_trgm GIN; an FTS5 trigram table on SQLite). Inquiries get
their `ts` for queue order.

Existing rows are backfilled from their documents. `fname_key` is computed in Python, not with
SQL's `lower()`: the application lower-cases search terms with Python, and SQLite's `lower()`
folds ASCII letters only, so a name like "Åsa" would otherwise never be found by "åsa".

Revision ID: 0002
Revises: 0001
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SortedText = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
BATCH = 1000


def _is_postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("fname", SortedText, nullable=True))
        batch.add_column(sa.Column("fname_key", sa.Text, nullable=True))
        batch.add_column(sa.Column("served_by", sa.Text, nullable=True))
    op.create_table(
        "room_tags",
        sa.Column("room_id", sa.Text, sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("tag", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("room_id", "tag"),
    )
    with op.batch_alter_table("inquiries") as batch:
        batch.add_column(sa.Column("ts", sa.Text, nullable=True))

    _backfill()

    # The default listing (newest first) and the createdAt range: one index range scan.
    op.create_index("rooms_listing", "rooms", ["t", "ts", "id"])
    # The agents filter, newest first.
    op.create_index(
        "rooms_served_by",
        "rooms",
        ["served_by", "ts", "id"],
        postgresql_where=sa.text("served_by IS NOT NULL"),
        sqlite_where=sa.text("served_by IS NOT NULL"),
    )
    # Open conversations (open=true, queued=true), newest first; few rows, counted from the index.
    op.create_index(
        "rooms_open_listing",
        "rooms",
        ["t", "ts", "id", "served_by"],
        postgresql_where=sa.text("open"),
        sqlite_where=sa.text("open"),
    )
    # The closedAt range and closedAt order.
    op.create_index(
        "rooms_closed",
        "rooms",
        ["closed_at", "id"],
        postgresql_where=sa.text("closed_at IS NOT NULL"),
        sqlite_where=sa.text("closed_at IS NOT NULL"),
    )
    op.create_index("room_tags_tag", "room_tags", ["tag", "room_id"])
    op.create_index("inquiries_queue", "inquiries", ["status", "ts", "id"])
    _create_name_index()


def _backfill() -> None:
    # Only text values, as the application writes them (a document never holds other types there).
    if _is_postgres():
        op.execute(
            "UPDATE rooms SET "
            "fname = CASE WHEN jsonb_typeof(doc::jsonb -> 'fname') = 'string' THEN doc::jsonb ->> 'fname' END, "
            "served_by = CASE WHEN jsonb_typeof(doc::jsonb -> 'servedBy' -> '_id') = 'string' "
            "THEN doc::jsonb -> 'servedBy' ->> '_id' END"
        )
        op.execute(
            "INSERT INTO room_tags (room_id, tag) "
            "SELECT DISTINCT id, tag #>> '{}' FROM rooms, jsonb_array_elements(doc::jsonb -> 'tags') AS tag "
            "WHERE jsonb_typeof(doc::jsonb -> 'tags') = 'array' AND jsonb_typeof(tag) = 'string'"
        )
        op.execute("UPDATE inquiries SET ts = doc::jsonb ->> 'ts'")
    else:
        op.execute(
            "UPDATE rooms SET "
            "fname = CASE WHEN json_type(doc, '$.fname') = 'text' THEN json_extract(doc, '$.fname') END, "
            "served_by = CASE WHEN json_type(doc, '$.servedBy._id') = 'text' "
            "THEN json_extract(doc, '$.servedBy._id') END"
        )
        op.execute(
            "INSERT INTO room_tags (room_id, tag) "
            "SELECT DISTINCT rooms.id, tags.value FROM rooms, json_each(rooms.doc, '$.tags') AS tags "
            "WHERE json_type(rooms.doc, '$.tags') = 'array' AND tags.type = 'text'"
        )
        op.execute("UPDATE inquiries SET ts = json_extract(doc, '$.ts')")
    _backfill_name_keys()


def _backfill_name_keys() -> None:
    """`fname_key = fname.lower()` in Python (see the module docstring), in batches by id."""
    bind = op.get_bind()
    select = sa.text("SELECT id, fname FROM rooms WHERE id > :after AND fname IS NOT NULL ORDER BY id LIMIT :size")
    update = sa.text("UPDATE rooms SET fname_key = :key WHERE id = :id")
    after = ""
    while True:
        rows = bind.execute(select, {"after": after, "size": BATCH}).fetchall()
        if not rows:
            return
        bind.execute(update, [{"id": row[0], "key": _name_key(row[1])} for row in rows])
        after = rows[-1][0]


def _name_key(fname: Any) -> str | None:
    return fname.lower() if isinstance(fname, str) else None


def _create_name_index() -> None:
    """livechat/rooms' roomName is a literal substring of the name: a trigram index serves it."""
    if _is_postgres():
        op.execute("CREATE INDEX rooms_fname_trgm ON rooms USING gin (fname_key gin_trgm_ops)")
        return
    op.execute(
        "CREATE VIRTUAL TABLE rooms_fts USING fts5("
        "fname_key, content='rooms', content_rowid='rowid', tokenize='trigram')"
    )
    op.execute("INSERT INTO rooms_fts(rooms_fts) VALUES ('rebuild')")
    op.execute(
        "CREATE TRIGGER rooms_fts_insert AFTER INSERT ON rooms BEGIN "
        "INSERT INTO rooms_fts(rowid, fname_key) VALUES (new.rowid, new.fname_key); END"
    )
    op.execute(
        "CREATE TRIGGER rooms_fts_delete AFTER DELETE ON rooms BEGIN "
        "INSERT INTO rooms_fts(rooms_fts, rowid, fname_key) VALUES ('delete', old.rowid, old.fname_key); END"
    )
    # Every room save rewrites all its columns; only a real rename touches the index.
    op.execute(
        "CREATE TRIGGER rooms_fts_update AFTER UPDATE OF fname_key ON rooms "
        "WHEN old.fname_key IS NOT new.fname_key BEGIN "
        "INSERT INTO rooms_fts(rooms_fts, rowid, fname_key) VALUES ('delete', old.rowid, old.fname_key); "
        "INSERT INTO rooms_fts(rowid, fname_key) VALUES (new.rowid, new.fname_key); END"
    )


def downgrade() -> None:
    if _is_postgres():
        op.execute("DROP INDEX IF EXISTS rooms_fname_trgm")
    else:
        for trigger in ("rooms_fts_insert", "rooms_fts_delete", "rooms_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS rooms_fts")
    op.drop_index("inquiries_queue", table_name="inquiries")
    op.drop_index("room_tags_tag", table_name="room_tags")
    for index in ("rooms_closed", "rooms_open_listing", "rooms_served_by", "rooms_listing"):
        op.drop_index(index, table_name="rooms")
    op.drop_table("room_tags")
    with op.batch_alter_table("inquiries") as batch:
        batch.drop_column("ts")
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("served_by")
        batch.drop_column("fname_key")
        batch.drop_column("fname")
