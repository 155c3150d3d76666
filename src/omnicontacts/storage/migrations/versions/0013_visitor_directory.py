"""The visitor directory, and bulk import.

Import: `contact_import_ids` maps a source system's id (kept in the contact's `importIds`) to
the contact, so a re-run updates instead of duplicating; `imports` and `import_rejections` keep
each import's progress and its report, written in the same transaction as each batch, so an
interrupted import resumes exactly where its last batch ended.

Directory: the visitor directory (livechat/visitors.search, .autocomplete, .chatHistory, .searchChats)
is served by indexes.

`visitors.search_text` holds the visitor's name and username, lower-cased with Python and joined
by U+001F (`livechat.repository.visitor_search_text`). A pg_trgm GIN index (PostgreSQL)
or an FTS5 trigram table (SQLite) finds substrings of it for visitors.search; a plain b-tree on
it (byte order) serves autocomplete's name prefix as a key range. `visitors.ts` orders the
directory; rooms get `(visitor_id, ts, id)` for a visitor's chat history pages.

SQLite: like 0003 did for contacts and rooms, `visitors` is rebuilt with an explicit
`seq INTEGER PRIMARY KEY` so that the trigram table's rowids never move.

Revision ID: 0013
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from omnicontacts.jsonutil import loads

# The columns are what the repository writes for every visitor, so the backfill asks it for them.
from omnicontacts.livechat.repository import visitor_search_text

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

BATCH = 5000
SortedText = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def _rows(statement: str, **params: object) -> list[tuple[object, ...]]:
    return [tuple(row) for row in op.get_bind().execute(sa.text(statement), params).fetchall()]


def _sqlite_stable_rowid() -> None:
    (create_table,) = _rows("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'visitors'")[0]
    if "seq INTEGER PRIMARY KEY" in str(create_table):
        return
    indexes = _rows("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'visitors' AND sql IS NOT NULL")
    columns = ", ".join(str(row[1]) for row in _rows("PRAGMA table_info(visitors)"))
    rebuilt = str(create_table).replace(
        "CREATE TABLE visitors (", "CREATE TABLE visitors_rebuilt (\n\tseq INTEGER PRIMARY KEY, ", 1
    )
    op.execute(rebuilt.replace("PRIMARY KEY (id)", "UNIQUE (id)"))
    op.execute(f"INSERT INTO visitors_rebuilt (seq, {columns}) SELECT rowid, {columns} FROM visitors")
    op.execute("DROP TABLE visitors")
    op.execute("ALTER TABLE visitors_rebuilt RENAME TO visitors")
    for (create_index,) in indexes:
        op.execute(str(create_index))


def _backfill() -> None:
    bind = op.get_bind()
    select = sa.text("SELECT id, doc FROM visitors WHERE id > :after ORDER BY id LIMIT :size")
    update = sa.text("UPDATE visitors SET search_text = :text, ts = :ts WHERE id = :id")
    after = ""
    while True:
        rows = bind.execute(select, {"after": after, "size": BATCH}).fetchall()
        if not rows:
            return
        changes = []
        for row in rows:
            doc = loads(row[1])
            ts = doc.get("ts")
            changes.append({"id": row[0], "text": visitor_search_text(doc), "ts": ts if isinstance(ts, str) else None})
        bind.execute(update, changes)
        after = rows[-1][0]


def _import_tables() -> None:
    # Nothing stored before this revision has `importIds`: no backfill.
    op.create_table(
        "contact_import_ids",
        sa.Column("import_id", sa.Text, primary_key=True),
        sa.Column("contact_id", sa.Text, sa.ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_index("contact_import_ids_contact", "contact_import_ids", ["contact_id"])
    op.create_table(
        "imports",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("file_sha256", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("doc", sa.Text, nullable=False),
    )
    op.create_index("imports_file", "imports", ["file_sha256", "status"])
    op.create_table(
        "import_rejections",
        sa.Column("import_id", sa.Text, sa.ForeignKey("imports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("line", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("import_id", "line"),
    )


def upgrade() -> None:
    _import_tables()
    postgres = op.get_bind().dialect.name == "postgresql"
    if not postgres:
        _sqlite_stable_rowid()
    op.add_column("visitors", sa.Column("search_text", SortedText, nullable=True))
    op.add_column("visitors", sa.Column("ts", sa.Text, nullable=True))
    _backfill()
    op.create_index("visitors_search_prefix", "visitors", ["search_text"])
    op.create_index("visitors_listing", "visitors", ["ts", "id"])
    op.create_index("rooms_visitor_ts", "rooms", ["visitor_id", "ts", "id"])
    if postgres:
        op.execute("CREATE INDEX visitors_search_trgm ON visitors USING gin (search_text gin_trgm_ops)")
        return
    op.execute(
        "CREATE VIRTUAL TABLE visitors_fts USING fts5("
        "search_text, content='visitors', content_rowid='seq', tokenize='trigram')"
    )
    op.execute("INSERT INTO visitors_fts(visitors_fts) VALUES ('rebuild')")
    op.execute(
        "CREATE TRIGGER visitors_fts_insert AFTER INSERT ON visitors BEGIN "
        "INSERT INTO visitors_fts(rowid, search_text) VALUES (new.seq, new.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER visitors_fts_delete AFTER DELETE ON visitors BEGIN "
        "INSERT INTO visitors_fts(visitors_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text); END"
    )
    # Every visitor save rewrites all its columns; only a change of the text touches the index.
    op.execute(
        "CREATE TRIGGER visitors_fts_update AFTER UPDATE OF search_text ON visitors "
        "WHEN old.search_text IS NOT new.search_text BEGIN "
        "INSERT INTO visitors_fts(visitors_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text); "
        "INSERT INTO visitors_fts(rowid, search_text) VALUES (new.seq, new.search_text); END"
    )


def downgrade() -> None:
    for table in ("import_rejections", "imports", "contact_import_ids"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS visitors_search_trgm")
    else:
        for trigger in ("visitors_fts_insert", "visitors_fts_delete", "visitors_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS visitors_fts")
    op.drop_index("rooms_visitor_ts", "rooms")
    op.drop_index("visitors_listing", "visitors")
    op.drop_index("visitors_search_prefix", "visitors")
    with op.batch_alter_table("visitors") as batch:
        batch.drop_column("ts")
        batch.drop_column("search_text")
