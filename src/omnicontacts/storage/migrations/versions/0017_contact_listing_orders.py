"""contacts.search at 1M contacts: every accepted sort read from an index in its own order, deep
offsets counted inside the index, and the no-term total read from a maintained count.

Sorts (`order_by` puts missing values first ascending and last descending, as MongoDB does; an
index read backwards gives the descending order). Each index leads with `unknown`, which every
listing filters on by equality, and holds enabled contacts only, as every listing asks for them:
- `contacts_name_order (unknown, name NULLS FIRST, id)`: sort `name`, the default.
- `contacts_last_chat_order (unknown, last_chat_ts NULLS FIRST, id)`: sort `lastChat.ts`. The
  index it replaces (`contacts_last_chat`) put missing values last on PostgreSQL, the reverse of
  the order asked for, so the planner sorted every contact. It still serves the Contact Center's
  last-chat range filter.
- `contacts_created_order (unknown, created_at, id)`: sort `createdAt` (was `contacts_newest`).
- `contacts_updated_order (unknown, updated_at, id)`: sort `_updatedAt` (had no index).
- `contacts_id_order (unknown, id)`: sort `_id` and `unknown` (the filter fixes `unknown`).
The indexes they replace (`contacts_listing`, `contacts_listing_nulls_first`,
`contacts_last_chat`, `contacts_newest`) held disabled contacts too, so a page could not be
counted off inside the index. On SQLite each index carries `enabled` as its last column instead
of a condition: SQLite does not read the value off a partial index's condition, and an index-only
walk to a deep offset must test it. PostgreSQL reads it off the condition.

`contact_counts (unknown, slot, n)`: the number of enabled contacts per value of `unknown` is the
sum of `n` over the value's slots, kept by triggers in the transaction of every insert, delete,
truncate and change of `enabled` or `unknown` (as `room_counts` of migration 0015: on PostgreSQL
per statement for inserts and deletes, into the slot of the server process; SQLite has one slot
per value). A contact whose `unknown` is missing is in no slot (no listing asks for it).

On PostgreSQL with 1M contacts each index takes about half a minute to build, with the table
locked against writes meanwhile; operators with a big table may create the indexes by hand first
with CONCURRENTLY (docs/operations.md): `CREATE INDEX IF NOT EXISTS` then finds them.

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

SLOTS = 64
# name -> (PostgreSQL, SQLite)
INDEXES: dict[str, tuple[str, str]] = {
    "contacts_name_order": (
        "contacts (unknown, name NULLS FIRST, id) WHERE enabled",
        "contacts (unknown, name, id, enabled)",
    ),
    "contacts_last_chat_order": (
        "contacts (unknown, last_chat_ts NULLS FIRST, id) WHERE enabled",
        "contacts (unknown, last_chat_ts, id, enabled)",
    ),
    "contacts_created_order": (
        "contacts (unknown, created_at, id) WHERE enabled",
        "contacts (unknown, created_at, id, enabled)",
    ),
    "contacts_updated_order": (
        "contacts (unknown, updated_at, id) WHERE enabled",
        "contacts (unknown, updated_at, id, enabled)",
    ),
    "contacts_id_order": ("contacts (unknown, id) WHERE enabled", "contacts (unknown, id, enabled)"),
}
# SQLite only, with `enabled` added for the same reason: SQLite prefers the index that tests more
# of the query's terms, and would otherwise leave these for one of the orders above.
SQLITE_FILTER_INDEXES: dict[str, tuple[str, str]] = {
    "contacts_manager": ("contacts (contact_manager, name, id, enabled)", "contacts (contact_manager, name, id)"),
    "contacts_conflicts": (
        "contacts (unknown, name, id, enabled) WHERE has_conflicts",
        "contacts (unknown, name, id) WHERE has_conflicts",
    ),
}
REPLACED: dict[str, str] = {
    "contacts_listing": "contacts (unknown, name, id)",
    "contacts_listing_nulls_first": "contacts (unknown, name NULLS FIRST, id)",
    "contacts_last_chat": "contacts (unknown, last_chat_ts, id)",
    "contacts_newest": "contacts (unknown, created_at, id)",
}

POSTGRES_TRIGGERS = [
    f"""CREATE FUNCTION contacts_count_insert() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO contact_counts AS kept (unknown, slot, n)
    SELECT unknown, pg_backend_pid() % {SLOTS}, count(*) FROM contacts_added
    WHERE enabled AND unknown IS NOT NULL GROUP BY unknown
    ON CONFLICT (unknown, slot) DO UPDATE SET n = kept.n + excluded.n;
    RETURN NULL;
END $$""",
    f"""CREATE FUNCTION contacts_count_delete() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO contact_counts AS kept (unknown, slot, n)
    SELECT unknown, pg_backend_pid() % {SLOTS}, -count(*) FROM contacts_removed
    WHERE enabled AND unknown IS NOT NULL GROUP BY unknown
    ON CONFLICT (unknown, slot) DO UPDATE SET n = kept.n + excluded.n;
    RETURN NULL;
END $$""",
    f"""CREATE FUNCTION contacts_count_change() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF OLD.enabled AND OLD.unknown IS NOT NULL THEN
        INSERT INTO contact_counts AS kept (unknown, slot, n) VALUES (OLD.unknown, pg_backend_pid() % {SLOTS}, -1)
        ON CONFLICT (unknown, slot) DO UPDATE SET n = kept.n - 1;
    END IF;
    IF NEW.enabled AND NEW.unknown IS NOT NULL THEN
        INSERT INTO contact_counts AS kept (unknown, slot, n) VALUES (NEW.unknown, pg_backend_pid() % {SLOTS}, 1)
        ON CONFLICT (unknown, slot) DO UPDATE SET n = kept.n + 1;
    END IF;
    RETURN NULL;
END $$""",
    """CREATE FUNCTION contacts_count_truncate() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM contact_counts;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER contacts_count_insert AFTER INSERT ON contacts REFERENCING NEW TABLE AS contacts_added "
    "FOR EACH STATEMENT EXECUTE FUNCTION contacts_count_insert()",
    "CREATE TRIGGER contacts_count_delete AFTER DELETE ON contacts REFERENCING OLD TABLE AS contacts_removed "
    "FOR EACH STATEMENT EXECUTE FUNCTION contacts_count_delete()",
    # Every contact save rewrites both columns; only a real change reaches the function.
    "CREATE TRIGGER contacts_count_change AFTER UPDATE OF enabled, unknown ON contacts FOR EACH ROW "
    "WHEN (OLD.enabled IS DISTINCT FROM NEW.enabled OR OLD.unknown IS DISTINCT FROM NEW.unknown) "
    "EXECUTE FUNCTION contacts_count_change()",
    "CREATE TRIGGER contacts_count_truncate AFTER TRUNCATE ON contacts "
    "FOR EACH STATEMENT EXECUTE FUNCTION contacts_count_truncate()",
]

SQLITE_TRIGGERS = [
    "CREATE TRIGGER contacts_count_insert AFTER INSERT ON contacts "
    "WHEN new.enabled AND new.unknown IS NOT NULL BEGIN "
    "UPDATE contact_counts SET n = n + 1 WHERE unknown = new.unknown AND slot = 0; END",
    "CREATE TRIGGER contacts_count_delete AFTER DELETE ON contacts "
    "WHEN old.enabled AND old.unknown IS NOT NULL BEGIN "
    "UPDATE contact_counts SET n = n - 1 WHERE unknown = old.unknown AND slot = 0; END",
    "CREATE TRIGGER contacts_count_change AFTER UPDATE OF enabled, unknown ON contacts "
    "WHEN old.enabled IS NOT new.enabled OR old.unknown IS NOT new.unknown BEGIN "
    "UPDATE contact_counts SET n = n - 1 WHERE old.enabled AND unknown = old.unknown AND slot = 0; "
    "UPDATE contact_counts SET n = n + 1 WHERE new.enabled AND unknown = new.unknown AND slot = 0; END",
]

TRIGGERS = ("contacts_count_insert", "contacts_count_delete", "contacts_count_change", "contacts_count_truncate")


def _is_postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def upgrade() -> None:
    postgres = _is_postgres()
    for name, (postgres_definition, sqlite_definition) in INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {postgres_definition if postgres else sqlite_definition}")
    for name in REPLACED:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    if not postgres:
        for name, (definition, _) in SQLITE_FILTER_INDEXES.items():
            op.execute(f"DROP INDEX {name}")
            op.execute(f"CREATE INDEX {name} ON {definition}")
    op.execute(
        "CREATE TABLE contact_counts (unknown boolean NOT NULL, slot integer NOT NULL, n bigint NOT NULL, "
        "PRIMARY KEY (unknown, slot))"
    )
    if postgres:
        # No contact may be added or changed between the count and the triggers.
        op.execute("LOCK TABLE contacts IN SHARE MODE")
    # Both values get a row in slot 0 (SQLite's triggers only update).
    op.execute(
        "INSERT INTO contact_counts (unknown, slot, n) "
        "SELECT kept.unknown, 0, (SELECT count(*) FROM contacts WHERE enabled AND unknown = kept.unknown) "
        "FROM (SELECT false AS unknown UNION ALL SELECT true) kept"
    )
    for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    postgres = _is_postgres()
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (" ON contacts" if postgres else ""))
    if postgres:
        for function in TRIGGERS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.execute("DROP TABLE contact_counts")
    for name, definition in REPLACED.items():
        if name == "contacts_listing_nulls_first" and not postgres:
            continue
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    if not postgres:
        for name, (_, definition) in SQLITE_FILTER_INDEXES.items():
            op.execute(f"DROP INDEX {name}")
            op.execute(f"CREATE INDEX {name} ON {definition}")
