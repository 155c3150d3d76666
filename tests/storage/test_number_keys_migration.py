"""Migration 0005 indexes the numbers of contacts that already exist."""

import asyncio
import json
from pathlib import Path

import pytest
from alembic import command

from omnicontacts.contacts import repository
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage
from omnicontacts.storage.migrate import alembic_config, upgrade
from tests.support import backends, drop_schema, settings_for

OLD_CONTACTS = [
    ("c1", "Ana", "ana\x1fana.1987@example.com\x1f+1 (555) 012-3456"),
    ("c2", "Room 101", "room 101"),
    ("c3", "Bea", "bea\x1fbea@example.com"),
]


async def _insert_old_contacts(settings: Settings) -> None:
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            for contact_id, name, text in OLD_CONTACTS:
                await conn.execute(
                    "INSERT INTO contacts (id, name, search_text, unknown, enabled, pre_registration, created_at, "
                    "updated_at, doc) VALUES ($1, $2, $3, false, true, false, '2024-01-01T00:00:00.000Z', "
                    "'2024-01-01T00:00:00.000Z', $4)",
                    contact_id,
                    name,
                    text,
                    json.dumps({"_id": contact_id, "name": name}),
                )
    finally:
        await storage.close()


async def _found(settings: Settings, term: str) -> list[str]:
    storage = await open_storage(settings)
    try:
        async with storage.connection() as conn:
            page = await repository.search_page(conn, term=term, unknown=False, sort=None, offset=0, count=10)
            return [contact["_id"] for contact in page]
    finally:
        await storage.close()


@pytest.mark.parametrize("backend", backends())
def test_existing_contacts_are_found_by_number(backend: str, tmp_path: Path) -> None:
    settings, schema = settings_for(backend, tmp_path)
    try:
        command.upgrade(alembic_config(settings), "0004")
        asyncio.run(_insert_old_contacts(settings))

        upgrade(settings)

        assert asyncio.run(_found(settings, "555) 012")) == ["c1"]
        assert asyncio.run(_found(settings, "1987")) == ["c1"]
        assert asyncio.run(_found(settings, "101")) == ["c2"]
        assert asyncio.run(_found(settings, "bea@")) == ["c3"]
    finally:
        if schema is not None:
            drop_schema(settings.database_url, schema)
