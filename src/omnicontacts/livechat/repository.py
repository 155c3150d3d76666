"""All SQL of the livechat domain: visitors, rooms, messages, subscriptions, inquiries."""

from typing import Any

from omnicontacts import jsonutil
from omnicontacts.storage import Connection


def _room_columns(doc: dict[str, Any]) -> tuple[Any, ...]:
    source = doc.get("source") or {}
    alias = source.get("alias")
    return (
        doc["_id"],
        doc.get("t", "l"),
        doc.get("contactId"),
        (doc.get("v") or {}).get("_id"),
        bool(doc.get("open")),
        doc["ts"],
        doc.get("closedAt"),
        # Lower-cased: these two only serve the case-insensitive history source filter.
        source.get("type", "").lower() or None,
        source.get("id"),
        alias.lower() if isinstance(alias, str) else None,
        jsonutil.dumps_str(doc),
    )


async def insert_room(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO rooms (id, t, contact_id, visitor_id, open, ts, closed_at, source_type, source_id, "
        "source_alias, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        *_room_columns(doc),
    )


async def save_room(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "UPDATE rooms SET t = $2, contact_id = $3, visitor_id = $4, open = $5, ts = $6, closed_at = $7, "
        "source_type = $8, source_id = $9, source_alias = $10, doc = $11 WHERE id = $1",
        *_room_columns(doc),
    )
