"""All SQL the widget layer adds: pages seen before a conversation, and message edits."""

from typing import Any

from omnicontacts import ids, jsonutil
from omnicontacts.storage import Connection


async def insert_page_view(conn: Connection, token: str, ts: str, expire_at: str, doc: dict[str, Any]) -> str:
    view_id = ids.meteor_id()
    await conn.execute(
        "INSERT INTO livechat_page_views (id, token, ts, expire_at, doc) VALUES ($1, $2, $3, $4, $5)",
        view_id,
        token,
        ts,
        expire_at,
        jsonutil.dumps_str({**doc, "_id": view_id}),
    )
    return view_id


async def delete_expired_page_views(conn: Connection, now: str) -> None:
    """Served by the expiry index: touches only what has expired."""
    await conn.execute("DELETE FROM livechat_page_views WHERE expire_at < $1", now)


async def page_views_of_token(conn: Connection, token: str, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT doc FROM livechat_page_views WHERE token = $1 ORDER BY ts DESC LIMIT $2", token, limit
    )
    return [jsonutil.loads(row["doc"]) for row in rows]


async def find_room_message(conn: Connection, message_id: str, room_id: str) -> dict[str, Any] | None:
    text = await conn.fetchval("SELECT doc FROM messages WHERE id = $1 AND rid = $2", message_id, room_id)
    return jsonutil.loads(text) if text is not None else None


async def save_message(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute("UPDATE messages SET doc = $2 WHERE id = $1", doc["_id"], jsonutil.dumps_str(doc))


async def delete_message(conn: Connection, message_id: str) -> None:
    await conn.execute("DELETE FROM messages WHERE id = $1", message_id)
