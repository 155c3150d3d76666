"""Initial schema: accounts, contacts, livechat.

Every record keeps its wire-shaped JSON document in `doc`, next to the plain columns that
queries filter and sort on. Multi-valued lookup keys live in narrow index tables.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Names sort by code point, as MongoDB's default (binary) collation does.
SortedText = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def _doc() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("doc", sa.Text, nullable=False)


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("username_key", sa.Text, nullable=False, unique=True),
        sa.Column("email_key", sa.Text, nullable=True, unique=True),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("roles", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        _doc(),
    )
    op.create_table(
        "login_tokens",
        sa.Column("hashed_token", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
    )
    op.create_index("login_tokens_user", "login_tokens", ["user_id"])
    op.create_table("roles", sa.Column("id", sa.Text, primary_key=True), _doc())
    op.create_table(
        "permissions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("roles", sa.Text, nullable=False),
        _doc(),
    )
    op.create_table(
        "settings",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        _doc(),
    )
    op.create_table(
        "custom_fields",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("label", SortedText, nullable=False),
        _doc(),
    )

    op.create_table(
        "contacts",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", SortedText, nullable=True),
        # Lower-cased name, emails and phones joined by U+001F: what contacts.search matches.
        sa.Column("search_text", sa.Text, nullable=False),
        sa.Column("unknown", sa.Boolean, nullable=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("pre_registration", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("last_chat_ts", sa.Text, nullable=True),
        _doc(),
    )
    op.create_index("contacts_listing", "contacts", ["unknown", "name", "id"])
    op.create_index("contacts_created", "contacts", ["created_at"])
    for table, column in (("contact_emails", "address"), ("contact_phones", "phone")):
        op.create_table(
            table,
            sa.Column("contact_id", sa.Text, sa.ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
            sa.Column(column, sa.Text, nullable=False),
            sa.PrimaryKeyConstraint("contact_id", column),
        )
        op.create_index(f"{table}_{column}", table, [column])
    op.create_table(
        "contact_channels",
        sa.Column("contact_id", sa.Text, sa.ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("visitor_id", sa.Text, nullable=False),
        sa.Column("source_type", sa.Text, nullable=False),
        # '' when the association has no source id, so the triple can be indexed and compared.
        sa.Column("source_id", sa.Text, nullable=False),
        sa.Column("blocked", sa.Boolean, nullable=False),
        sa.Column("verified", sa.Boolean, nullable=False),
        sa.Column("field", sa.Text, nullable=True),
        sa.Column("value", sa.Text, nullable=True),
    )
    op.create_index("contact_channels_contact", "contact_channels", ["contact_id"])
    op.create_index("contact_channels_association", "contact_channels", ["visitor_id", "source_type", "source_id"])
    op.create_index("contact_channels_verified", "contact_channels", ["field", "value"])
    op.create_table(
        "contact_events",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("contact_id", sa.Text, nullable=False),
        sa.Column("ts", sa.Text, nullable=False),
        _doc(),
    )
    op.create_index("contact_events_contact", "contact_events", ["contact_id", "ts", "id"])

    op.create_table(
        "visitors",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("token", sa.Text, nullable=True, unique=True),
        sa.Column("username", sa.Text, nullable=True),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        _doc(),
    )
    for table, column in (("visitor_emails", "address"), ("visitor_phones", "phone")):
        op.create_table(
            table,
            sa.Column("visitor_id", sa.Text, sa.ForeignKey("visitors.id", ondelete="CASCADE"), nullable=False),
            sa.Column(column, sa.Text, nullable=False),
            sa.PrimaryKeyConstraint("visitor_id", column),
        )
        op.create_index(f"{table}_{column}", table, [column])

    op.create_table(
        "rooms",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("t", sa.Text, nullable=False),
        sa.Column("contact_id", sa.Text, nullable=True),
        sa.Column("visitor_id", sa.Text, nullable=True),
        sa.Column("open", sa.Boolean, nullable=False),
        sa.Column("ts", sa.Text, nullable=False),
        sa.Column("closed_at", sa.Text, nullable=True),
        sa.Column("source_type", sa.Text, nullable=True),
        sa.Column("source_id", sa.Text, nullable=True),
        sa.Column("source_alias", sa.Text, nullable=True),
        _doc(),
    )
    # contacts.history: one range scan per page, and an index-only count for the total.
    op.create_index(
        "rooms_contact_closed",
        "rooms",
        ["contact_id", "closed_at", "id"],
        postgresql_where=sa.text("closed_at IS NOT NULL"),
        sqlite_where=sa.text("closed_at IS NOT NULL"),
    )
    op.create_index(
        "rooms_contact_open",
        "rooms",
        ["contact_id"],
        postgresql_where=sa.text("open"),
        sqlite_where=sa.text("open"),
    )
    op.create_index("rooms_visitor", "rooms", ["visitor_id", "open"])

    op.create_table(
        "messages",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("rid", sa.Text, nullable=False),
        sa.Column("ts", sa.Text, nullable=False),
        _doc(),
    )
    op.create_index("messages_room", "messages", ["rid", "ts", "id"])
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("rid", sa.Text, nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        _doc(),
        sa.UniqueConstraint("rid", "user_id"),
    )
    op.create_index("subscriptions_user", "subscriptions", ["user_id"])
    op.create_table(
        "inquiries",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("rid", sa.Text, nullable=False, unique=True),
        sa.Column("status", sa.Text, nullable=False),
        _doc(),
    )

    _create_search_index()


def _create_search_index() -> None:
    """contacts.search is a literal substring match: a trigram index serves it on both databases."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
        op.execute("CREATE INDEX contacts_search_trgm ON contacts USING gin (search_text gin_trgm_ops)")
        return
    op.execute(
        "CREATE VIRTUAL TABLE contacts_fts USING fts5("
        "search_text, content='contacts', content_rowid='rowid', tokenize='trigram')"
    )
    op.execute(
        "CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN "
        "INSERT INTO contacts_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN "
        "INSERT INTO contacts_fts(contacts_fts, rowid, search_text) "
        "VALUES ('delete', old.rowid, old.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER contacts_fts_update AFTER UPDATE OF search_text ON contacts BEGIN "
        "INSERT INTO contacts_fts(contacts_fts, rowid, search_text) "
        "VALUES ('delete', old.rowid, old.search_text); "
        "INSERT INTO contacts_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END"
    )


def downgrade() -> None:
    for table in (
        "contacts_fts",
        "inquiries",
        "subscriptions",
        "messages",
        "rooms",
        "visitor_phones",
        "visitor_emails",
        "visitors",
        "contact_events",
        "contact_channels",
        "contact_phones",
        "contact_emails",
        "contacts",
        "custom_fields",
        "settings",
        "permissions",
        "roles",
        "login_tokens",
        "users",
        "meta",
    ):
        op.execute(f"DROP TABLE IF EXISTS {table}")
