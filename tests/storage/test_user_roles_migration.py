"""Migration 0004 indexes the roles of users who already exist."""

import asyncio
import sqlite3
from pathlib import Path

from alembic import command

from omnicontacts.accounts import repository as accounts_repository
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage
from omnicontacts.storage.migrate import alembic_config, upgrade


async def _usernames_with_role(settings: Settings, role: str) -> list[str]:
    storage = await open_storage(settings)
    try:
        async with storage.connection() as conn:
            return [user["username"] for user in await accounts_repository.find_users_with_role(conn, role)]
    finally:
        await storage.close()


def test_existing_users_keep_their_roles(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(settings), "0003")
    users = [("u1", "bea", '["user", "livechat-agent"]'), ("u2", "al", '["admin"]'), ("u3", "cy", '["livechat-agent"]')]
    with sqlite3.connect(tmp_path / "old.db") as raw:
        raw.executemany(
            "INSERT INTO users (id, username, username_key, roles, active, created_at, doc) "
            "VALUES (?, ?, ?, ?, 1, '2024-01-01T00:00:00.000Z', json_object('_id', ?, 'username', ?))",
            [(uid, name, name, roles, uid, name) for uid, name, roles in users],
        )

    upgrade(settings)

    assert asyncio.run(_usernames_with_role(settings, "livechat-agent")) == ["bea", "cy"]
    assert asyncio.run(_usernames_with_role(settings, "admin")) == ["al"]
    assert asyncio.run(_usernames_with_role(settings, "livechat-manager")) == []
