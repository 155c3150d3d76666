"""contacts.search finds phone numbers through a key range, not the trigram index.

Ten digits make only a thousand trigrams, and every phone number shares its country and area
code with many others, so a trigram lookup for a number reads posting lists that grow with the
table. `contact_number_keys` holds, for each run of number characters (in the name, the emails
and the phones), the suffixes of that run that start with a digit, cut to 16 characters; a
number typed in the search box is a prefix range of that btree, whatever the size of the table.

The rows are derived from `contacts.search_text` and every answer is checked against the contact
row, so the table carries no foreign key and no index by contact: the writer removes a contact's
keys by (key, contact), from the keys of the text it replaces. That keeps it at one btree.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

# The keys are what the repository writes for every contact, so the backfill asks it for them:
# a migration written later that changes the keys rebuilds the table.
from omnicontacts.contacts.repository import number_keys

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 5000
# Byte order, so that every key with a given prefix lies in one range of the index.
KeyText = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "contact_number_keys",
        sa.Column("key", KeyText, nullable=False),
        sa.Column("contact_id", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("key", "contact_id"),
    )
    _backfill()


def _backfill() -> None:
    bind = op.get_bind()
    insert = sa.text("INSERT INTO contact_number_keys (key, contact_id) VALUES (:key, :contact_id)")
    last_id = ""
    while True:
        rows = bind.execute(
            sa.text("SELECT id, search_text FROM contacts WHERE id > :last ORDER BY id LIMIT :batch"),
            {"last": last_id, "batch": BATCH},
        ).fetchall()
        if not rows:
            return
        keys = [{"contact_id": row[0], "key": key} for row in rows for key in sorted(number_keys(row[1]))]
        if keys:
            bind.execute(insert, keys)
        last_id = rows[-1][0]


def downgrade() -> None:
    op.drop_table("contact_number_keys")
