"""Migration 0013 indexes the visitors that already exist for the visitor directory."""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from alembic import command

from omnicontacts.livechat import directory_repository
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage
from omnicontacts.storage.migrate import alembic_config, upgrade
from tests.support import backends, drop_schema, settings_for

OLD_VISITORS: list[tuple[str, str | None, str | None, dict[str, Any]]] = [
    ("v1", "tok-1", "guest-1", {"name": "Ana Maria", "ts": "2024-01-01T00:00:00.000Z"}),
    ("v2", "tok-2", "guest-2", {"name": "Beatriz", "ts": "2024-01-02T00:00:00.000Z"}),
    ("v3", None, None, {"disabled": True}),
]


async def _insert_old_visitors(settings: Settings) -> None:
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            for visitor_id, token, username, fields in OLD_VISITORS:
                doc = {"_id": visitor_id, "username": username, "token": token, **fields}
                await conn.execute(
                    "INSERT INTO visitors (id, token, username, disabled, updated_at, doc) VALUES ($1, $2, $3, $4, "
                    "'2024-01-01T00:00:00.000Z', $5)",
                    visitor_id,
                    token,
                    username,
                    bool(fields.get("disabled")),
                    json.dumps(doc),
                )
            await conn.execute("INSERT INTO visitor_emails (visitor_id, address) VALUES ('v1', 'ana@example.com')")
    finally:
        await storage.close()


async def _search(settings: Settings, term: str) -> list[str]:
    storage = await open_storage(settings)
    try:
        async with storage.connection() as conn:
            page = await directory_repository.search_page(conn, term=term, sort=None, offset=0, count=10)
            prefix = await directory_repository.name_prefix_page(conn, prefix=term, exceptions=[], limit=10)
            return [visitor["_id"] for visitor in page] + ["prefix:" + visitor["_id"] for visitor in prefix]
    finally:
        await storage.close()


@pytest.mark.parametrize("backend", backends())
def test_existing_visitors_are_found_after_the_upgrade(backend: str, tmp_path: Path) -> None:
    settings, schema = settings_for(backend, tmp_path)
    try:
        command.upgrade(alembic_config(settings), "0006")
        asyncio.run(_insert_old_visitors(settings))

        upgrade(settings)

        assert asyncio.run(_search(settings, "maria")) == ["v1"]
        assert asyncio.run(_search(settings, "ana")) == ["v1", "prefix:v1"]
        assert asyncio.run(_search(settings, "ana@example.com")) == ["v1"]
        assert asyncio.run(_search(settings, "guest-2")) == ["v2"]
        assert asyncio.run(_search(settings, "")) == ["v2", "v1", "prefix:v1", "prefix:v2"]
    finally:
        if schema is not None:
            drop_schema(settings.database_url, schema)
