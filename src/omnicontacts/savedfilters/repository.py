"""All SQL of the Contact Center's saved filters (table `ui_saved_filters`: user_id, name, query,
created_at; primary key (user_id, name), which also serves the per-user list in name order)."""

from typing import Any

from omnicontacts.storage import Connection


async def list_for_user(conn: Connection, user_id: str, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT name, query, created_at FROM ui_saved_filters WHERE user_id = $1 ORDER BY name LIMIT $2",
        user_id,
        limit,
    )
    return [dict(row) for row in rows]


async def lock_user(conn: Connection, user_id: str) -> None:
    """Serialise one user's saves on PostgreSQL, so two at once cannot both pass the count limit
    (SQLite has one writer at a time already)."""
    if conn.dialect == "postgresql":
        await conn.fetchval("SELECT id FROM users WHERE id = $1 FOR UPDATE", user_id)


async def count_for_user(conn: Connection, user_id: str) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM ui_saved_filters WHERE user_id = $1", user_id))


async def exists(conn: Connection, user_id: str, name: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM ui_saved_filters WHERE user_id = $1 AND name = $2", user_id, name))


async def upsert(conn: Connection, user_id: str, name: str, query: str, created_at: str) -> None:
    await conn.execute(
        "INSERT INTO ui_saved_filters (user_id, name, query, created_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (user_id, name) DO UPDATE SET query = excluded.query, created_at = excluded.created_at",
        user_id,
        name,
        query,
        created_at,
    )


async def delete(conn: Connection, user_id: str, name: str) -> int:
    return await conn.execute("DELETE FROM ui_saved_filters WHERE user_id = $1 AND name = $2", user_id, name)
