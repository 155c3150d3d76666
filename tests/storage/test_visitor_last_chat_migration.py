"""Migration 0016 fills `visitors.last_chat_ts` from the visitors that already exist, so the
directory's "last chat" order holds for them too; the downgrade takes the column away again."""

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

# id, lastChat.ts (None: never chatted)
OLD_VISITORS = [
    ("v1", "2024-03-01T00:00:00.000Z"),
    ("v2", None),
    ("v3", "2024-01-01T00:00:00.000Z"),
]


async def _insert_old_visitors(settings: Settings) -> None:
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            for visitor_id, last_chat in OLD_VISITORS:
                doc: dict[str, Any] = {
                    "_id": visitor_id,
                    "username": f"guest-{visitor_id}",
                    "token": f"tok-{visitor_id}",
                }
                if last_chat is not None:
                    doc["lastChat"] = {"_id": f"room-{visitor_id}", "ts": last_chat}
                await conn.execute(
                    "INSERT INTO visitors (id, token, username, disabled, updated_at, doc, search_text, ts) "
                    "VALUES ($1, $2, $3, false, '2024-01-01T00:00:00.000Z', $4, $3, '2024-01-01T00:00:00.000Z')",
                    visitor_id,
                    doc["token"],
                    doc["username"],
                    json.dumps(doc),
                )
    finally:
        await storage.close()


async def _order(settings: Settings, direction: int) -> list[str]:
    storage = await open_storage(settings)
    try:
        async with storage.connection() as conn:
            page = await directory_repository.search_page(
                conn, term="", sort={"lastChat.ts": direction}, offset=0, count=10
            )
            return [visitor["_id"] for visitor in page]
    finally:
        await storage.close()


async def _columns(settings: Settings) -> list[str]:
    storage = await open_storage(settings)
    try:
        async with storage.connection() as conn:
            if conn.dialect == "postgresql":
                rows = await conn.fetch(
                    "SELECT column_name AS name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = 'visitors'"
                )
            else:
                rows = await conn.fetch("SELECT name FROM pragma_table_info('visitors')")
            return [row["name"] for row in rows]
    finally:
        await storage.close()


@pytest.mark.parametrize("backend", backends())
def test_existing_visitors_sort_by_last_chat_after_the_upgrade(backend: str, tmp_path: Path) -> None:
    settings, schema = settings_for(backend, tmp_path)
    try:
        command.upgrade(alembic_config(settings), "0015")
        asyncio.run(_insert_old_visitors(settings))

        upgrade(settings)

        assert asyncio.run(_order(settings, 1)) == ["v2", "v3", "v1"]
        assert asyncio.run(_order(settings, -1)) == ["v1", "v3", "v2"]

        command.downgrade(alembic_config(settings), "0015")
        assert "last_chat_ts" not in asyncio.run(_columns(settings))
        assert "search_text" in asyncio.run(_columns(settings))
    finally:
        if schema is not None:
            drop_schema(settings.database_url, schema)
