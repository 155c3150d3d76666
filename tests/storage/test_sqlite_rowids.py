"""SQLite's trigram tables find rows by rowid: rowids must survive migrations, dumps and restores."""

import asyncio
import json
import sqlite3
from pathlib import Path

from alembic import command

from omnicontacts.contacts.repository import search_text
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage
from omnicontacts.storage.migrate import alembic_config, upgrade
from tests.factories import closed_room_doc, contact_doc, store_with

NAMES = ["Ana Silva", "Bruno Costa", "Chen Wei", "Dara Okafor", "Elif Kaya"]


async def _search(settings: Settings, term: str) -> list[str]:
    storage = await open_storage(settings)
    try:
        async with storage.connection() as conn:
            rows = await conn.fetch(
                "SELECT name FROM contacts WHERE rowid IN "
                "(SELECT rowid FROM contacts_fts WHERE search_text LIKE $1) ORDER BY name",
                f"%{term}%",
            )
            return [row["name"] for row in rows]
    finally:
        await storage.close()


def _fill_with_a_gap(settings: Settings, *, old_schema: bool = False) -> None:
    """Five contacts with rooms, the second one removed, leaving a hole in the rowids. Under an
    old schema the rooms are written with the columns every version has (today's writer fills
    columns added since)."""
    contacts = [contact_doc(name) for name in NAMES]
    rooms = [closed_room_doc(contact, closed_minutes=5) for contact in contacts]
    if not old_schema:
        store_with(settings, contacts, rooms)
    with sqlite3.connect(settings.database_url.removeprefix("sqlite:///")) as raw:
        if old_schema:
            raw.executemany(
                "INSERT INTO contacts (id, name, search_text, unknown, enabled, pre_registration, created_at, "
                "updated_at, last_chat_ts, doc) VALUES (?, ?, ?, 0, 1, 0, ?, ?, NULL, ?)",
                [
                    (c["_id"], c["name"], search_text(c), c["createdAt"], c["_updatedAt"], json.dumps(c))
                    for c in contacts
                ],
            )
            raw.executemany(
                "INSERT INTO rooms (id, t, contact_id, open, ts, closed_at, doc) VALUES (?, 'l', ?, 0, ?, ?, ?)",
                [(room["_id"], room["contactId"], room["ts"], room["closedAt"], json.dumps(room)) for room in rooms],
            )
        raw.execute("DELETE FROM contacts WHERE name = ?", (NAMES[1],))


def test_migrating_a_filled_database_keeps_search_right(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(settings), "0002")
    _fill_with_a_gap(settings, old_schema=True)

    upgrade(settings)

    assert asyncio.run(_search(settings, "chen")) == ["Chen Wei"]
    assert asyncio.run(_search(settings, "ka")) == ["Dara Okafor", "Elif Kaya"]


def test_rowids_are_stable_columns_and_survive_vacuum(tmp_path: Path) -> None:
    """SQLite keeps a rowid only when it is an INTEGER PRIMARY KEY column; VACUUM, a dump and a
    restore may renumber any other."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'live.db'}")
    upgrade(settings)
    _fill_with_a_gap(settings)

    with sqlite3.connect(tmp_path / "live.db") as raw:
        for table in ("contacts", "rooms"):
            primary_key = [(row[1], row[2]) for row in raw.execute(f"PRAGMA table_info({table})") if row[5]]
            assert primary_key == [("seq", "INTEGER")]
        raw.execute("VACUUM")

    for name in NAMES[2:]:
        assert asyncio.run(_search(settings, name.split()[1].lower())) == [name]
    assert asyncio.run(_search(settings, "costa")) == []
