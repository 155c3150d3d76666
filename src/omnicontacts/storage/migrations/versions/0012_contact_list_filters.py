"""The Contact Center's contact list filters are served by indexes.

`contacts.contact_manager` and `contacts.has_conflicts` copy what the document holds (the
repository writes them with every save); `contact_channels` gets an index by source type and an
index by blocked state; `contacts` gets indexes for the last-chat range and for the
newest-created listing, each led by `unknown` as every listing filters on it.

Revision ID: 0012
Revises: 0010, 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("contacts", sa.Column("contact_manager", sa.Text, nullable=True))
    op.add_column("contacts", sa.Column("has_conflicts", sa.Boolean, nullable=False, server_default=sa.false()))
    if op.get_bind().dialect.name == "postgresql":
        # Only documents that mention either key are rewritten.
        op.execute(
            "UPDATE contacts SET contact_manager = doc::jsonb ->> 'contactManager', "
            "has_conflicts = coalesce(jsonb_array_length(CASE WHEN jsonb_typeof(doc::jsonb -> 'conflictingFields') "
            "= 'array' THEN doc::jsonb -> 'conflictingFields' END), 0) > 0 "
            "WHERE doc LIKE '%\"contactManager\"%' OR doc LIKE '%\"conflictingFields\"%'"
        )
    else:
        op.execute(
            "UPDATE contacts SET contact_manager = CASE WHEN json_type(doc, '$.contactManager') = 'text' "
            "THEN json_extract(doc, '$.contactManager') END, "
            "has_conflicts = coalesce(json_array_length(doc, '$.conflictingFields'), 0) > 0 "
            "WHERE doc LIKE '%\"contactManager\"%' OR doc LIKE '%\"conflictingFields\"%'"
        )
    op.create_index("contacts_manager", "contacts", ["contact_manager", "name", "id"])
    conflicts = sa.text("has_conflicts")
    op.create_index(
        "contacts_conflicts", "contacts", ["unknown", "name", "id"], postgresql_where=conflicts, sqlite_where=conflicts
    )
    if op.get_bind().dialect.name == "postgresql":
        # The list's name order puts missing names first (as contacts.search does, MongoDB's
        # order); PostgreSQL's default index order puts them last and could not serve it.
        op.execute("CREATE INDEX contacts_listing_nulls_first ON contacts (unknown, name NULLS FIRST, id)")
    op.create_index("contacts_last_chat", "contacts", ["unknown", "last_chat_ts", "id"])
    op.create_index("contacts_newest", "contacts", ["unknown", "created_at", "id"])
    op.create_index("contact_channels_type", "contact_channels", ["source_type", "contact_id"])
    # Not partial: a partial index of blocked channels would also tempt the planner for the
    # write path's "is this association blocked?" check, which its association index serves.
    op.create_index("contact_channels_blocked", "contact_channels", ["blocked", "contact_id"])


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS contacts_listing_nulls_first")
    for table, name in (
        ("contact_channels", "contact_channels_blocked"),
        ("contact_channels", "contact_channels_type"),
        ("contacts", "contacts_newest"),
        ("contacts", "contacts_last_chat"),
        ("contacts", "contacts_conflicts"),
        ("contacts", "contacts_manager"),
    ):
        op.drop_index(name, table_name=table)
    op.drop_column("contacts", "has_conflicts")
    op.drop_column("contacts", "contact_manager")
