"""livechat/rooms at 10M rooms: every accepted sort read from an index in its own order, and the
unfiltered total read from a maintained count instead of counting every room.

Sorts (`order_by` puts missing values first ascending and last descending, as MongoDB does; an
index read backwards gives the descending order):
- `rooms_closed_order (t, closed_at NULLS FIRST, id)`: sort `closedAt`, both directions. The
  partial `rooms_closed` leaves out open rooms, so it can serve the range filter but not the order.
- `rooms_name_order (t, fname NULLS FIRST, id)`: sort `fname` (binary order, as the column).
- `rooms_open_order (t, open, id)`: sort `open`.
- `rooms_id_order (t, id)`, SQLite only: sort `_id` (PostgreSQL reads its primary key in order).
`ts` is served by `rooms_listing (t, ts, id)` already.

`room_counts (slot, n)`: the number of livechat rooms (`t = 'l'`) is the sum of `n`. Triggers keep
it in the transaction that inserts or deletes a room, so the total is exact in every snapshot. On
PostgreSQL each server process adds to its own slot (its process id modulo SLOTS), so concurrent
transactions that open rooms seldom wait on one another's row; the insert and delete triggers run
once per statement (a bulk load pays one update). The functions keep the migration's search path,
so a writer whose own path does not name the schema (a COPY into `schema.rooms`) still finds
`room_counts`. SQLite has one writer and one slot.

On PostgreSQL with 10M rooms each index takes minutes to build and the count a few seconds, with
the table locked against writes meanwhile; operators with a big table may create the indexes by
hand first with CONCURRENTLY (docs/operations.md): `CREATE INDEX IF NOT EXISTS` then finds them.

Revision ID: 0015
Revises: 0012
"""

from alembic import op

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None

SLOTS = 64
INDEXES: dict[str, tuple[str | None, str]] = {
    "rooms_closed_order": ("rooms (t, closed_at NULLS FIRST, id)", "rooms (t, closed_at, id)"),
    "rooms_name_order": ("rooms (t, fname NULLS FIRST, id)", "rooms (t, fname, id)"),
    "rooms_open_order": ("rooms (t, open, id)", "rooms (t, open, id)"),
    # PostgreSQL reads the primary key in order and tests `t`; SQLite would rather sort.
    "rooms_id_order": (None, "rooms (t, id)"),
}

POSTGRES_TRIGGERS = [
    f"""CREATE FUNCTION rooms_count_insert() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO room_counts AS kept (slot, n)
    SELECT pg_backend_pid() % {SLOTS}, count(*) FROM rooms_added WHERE t = 'l' HAVING count(*) > 0
    ON CONFLICT (slot) DO UPDATE SET n = kept.n + excluded.n;
    RETURN NULL;
END $$""",
    f"""CREATE FUNCTION rooms_count_delete() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO room_counts AS kept (slot, n)
    SELECT pg_backend_pid() % {SLOTS}, -count(*) FROM rooms_removed WHERE t = 'l' HAVING count(*) > 0
    ON CONFLICT (slot) DO UPDATE SET n = kept.n + excluded.n;
    RETURN NULL;
END $$""",
    f"""CREATE FUNCTION rooms_count_retype() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO room_counts AS kept (slot, n)
    VALUES (pg_backend_pid() % {SLOTS}, (NEW.t = 'l')::int - (OLD.t = 'l')::int)
    ON CONFLICT (slot) DO UPDATE SET n = kept.n + excluded.n;
    RETURN NULL;
END $$""",
    """CREATE FUNCTION rooms_count_truncate() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM room_counts;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER rooms_count_insert AFTER INSERT ON rooms REFERENCING NEW TABLE AS rooms_added "
    "FOR EACH STATEMENT EXECUTE FUNCTION rooms_count_insert()",
    "CREATE TRIGGER rooms_count_delete AFTER DELETE ON rooms REFERENCING OLD TABLE AS rooms_removed "
    "FOR EACH STATEMENT EXECUTE FUNCTION rooms_count_delete()",
    # Every room save rewrites `t`; only a real change of type reaches the function.
    "CREATE TRIGGER rooms_count_retype AFTER UPDATE OF t ON rooms FOR EACH ROW "
    "WHEN (OLD.t IS DISTINCT FROM NEW.t) EXECUTE FUNCTION rooms_count_retype()",
    "CREATE TRIGGER rooms_count_truncate AFTER TRUNCATE ON rooms "
    "FOR EACH STATEMENT EXECUTE FUNCTION rooms_count_truncate()",
]

SQLITE_TRIGGERS = [
    "CREATE TRIGGER rooms_count_insert AFTER INSERT ON rooms WHEN new.t = 'l' BEGIN "
    "UPDATE room_counts SET n = n + 1 WHERE slot = 0; END",
    "CREATE TRIGGER rooms_count_delete AFTER DELETE ON rooms WHEN old.t = 'l' BEGIN "
    "UPDATE room_counts SET n = n - 1 WHERE slot = 0; END",
    "CREATE TRIGGER rooms_count_retype AFTER UPDATE OF t ON rooms WHEN old.t IS NOT new.t BEGIN "
    "UPDATE room_counts SET n = n + (new.t = 'l') - (old.t = 'l') WHERE slot = 0; END",
]


def _is_postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def upgrade() -> None:
    postgres = _is_postgres()
    for name, (postgres_definition, sqlite_definition) in INDEXES.items():
        definition = postgres_definition if postgres else sqlite_definition
        if definition is not None:
            op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")
    op.execute("CREATE TABLE room_counts (slot integer PRIMARY KEY, n bigint NOT NULL)")
    if postgres:
        # No room may be added between the count and the triggers.
        op.execute("LOCK TABLE rooms IN SHARE MODE")
    op.execute("INSERT INTO room_counts (slot, n) SELECT 0, count(*) FROM rooms WHERE t = 'l'")
    for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    for trigger in ("rooms_count_insert", "rooms_count_delete", "rooms_count_retype", "rooms_count_truncate"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (" ON rooms" if _is_postgres() else ""))
    if _is_postgres():
        for function in ("rooms_count_insert", "rooms_count_delete", "rooms_count_retype", "rooms_count_truncate"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.execute("DROP TABLE room_counts")
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
