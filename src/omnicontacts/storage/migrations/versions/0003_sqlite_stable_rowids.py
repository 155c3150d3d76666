"""SQLite: give `contacts` and `rooms` an explicit, stable rowid for their trigram tables.

The FTS5 trigram tables that serve contacts.search and the room-name search point at their rows
by rowid. A table whose primary key is text has an implicit rowid, which SQLite may renumber (a
`.dump` and restore does, and the documentation allows VACUUM to), and the search would then
answer the wrong rows. An `INTEGER PRIMARY KEY` column (`seq`) is the rowid itself and never
changes, so each table is rebuilt with one, keeping today's rowids, `id` staying unique.

PostgreSQL is not concerned (its trigram indexes are ordinary indexes).

Revision ID: 0003
Revises: 0002
"""

from alembic import op
from sqlalchemy import text

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = {"contacts": "contacts_fts", "rooms": "rooms_fts"}


def _sql(statement: str, **params: str) -> list[tuple[str, ...]]:
    return [tuple(row) for row in op.get_bind().execute(text(statement), params).fetchall()]


def _give_stable_rowid(table: str, fts: str) -> None:
    (create_table,) = _sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name", name=table)[0]
    if "seq INTEGER PRIMARY KEY" in create_table:
        return
    (create_fts,) = _sql("SELECT sql FROM sqlite_master WHERE name = :name", name=fts)[0]
    indexes = _sql("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL", t=table)
    triggers = _sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t", t=table)
    columns = ", ".join(row[1] for row in _sql(f"PRAGMA table_info({table})"))

    for name, _ in triggers:
        op.execute(f"DROP TRIGGER {name}")
    op.execute(f"DROP TABLE {fts}")
    head = f"CREATE TABLE {table}_rebuilt (\n\tseq INTEGER PRIMARY KEY, "
    rebuilt = create_table.replace(f"CREATE TABLE {table} (", head, 1)
    op.execute(rebuilt.replace("PRIMARY KEY (id)", "UNIQUE (id)"))
    op.execute(f"INSERT INTO {table}_rebuilt (seq, {columns}) SELECT rowid, {columns} FROM {table}")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {table}_rebuilt RENAME TO {table}")
    for (create_index,) in indexes:
        op.execute(create_index)
    op.execute(create_fts.replace("content_rowid='rowid'", "content_rowid='seq'"))
    for _, create_trigger in triggers:
        op.execute(create_trigger.replace("new.rowid", "new.seq").replace("old.rowid", "old.seq"))
    op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, fts in TABLES.items():
        _give_stable_rowid(table, fts)


def downgrade() -> None:
    # The explicit rowid is what 0002's code expects of a rowid: nothing to undo.
    pass
