"""All SQL of livechat custom field definitions (table `custom_fields`: id, scope, label, doc)."""

from typing import Any

from omnicontacts import jsonutil
from omnicontacts.restapi.query import like_pattern, limit_offset, order_by
from omnicontacts.storage import Connection

SORT_COLUMNS = {"label": "label", "_id": "id", "scope": "scope"}


def _loads(text: Any) -> dict[str, Any] | None:
    return None if text is None else jsonutil.loads(text)


async def find(conn: Connection, field_id: str) -> dict[str, Any] | None:
    return _loads(await conn.fetchval("SELECT doc FROM custom_fields WHERE id = $1", field_id))


async def insert(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO custom_fields (id, scope, label, doc) VALUES ($1, $2, $3, $4)",
        doc["_id"],
        doc["scope"],
        doc["label"],
        jsonutil.dumps_str(doc),
    )


async def update(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "UPDATE custom_fields SET scope = $2, label = $3, doc = $4 WHERE id = $1",
        doc["_id"],
        doc["scope"],
        doc["label"],
        jsonutil.dumps_str(doc),
    )


async def delete(conn: Connection, field_id: str) -> int:
    return await conn.execute("DELETE FROM custom_fields WHERE id = $1", field_id)


def _text_filter(text: str | None) -> tuple[str, list[Any]]:
    if not text:
        return "", []
    # A case-insensitive literal substring of the label or the id, as Rocket.Chat's escaped
    # regex does. SQLite's lower() folds ASCII only; definitions are few and mostly ASCII.
    return " WHERE lower(label) LIKE $1 ESCAPE '\\' OR lower(id) LIKE $1 ESCAPE '\\'", [like_pattern(text.lower())]


async def page(
    conn: Connection, *, text: str | None, sort: dict[str, int] | None, offset: int, count: int
) -> list[dict[str, Any]]:
    where, args = _text_filter(text)
    order = order_by(sort, SORT_COLUMNS, "label ASC, id ASC")
    rows = await conn.fetch(f"SELECT doc FROM custom_fields{where} {order} {limit_offset(count, offset)}", *args)
    return [jsonutil.loads(row["doc"]) for row in rows]


async def total(conn: Connection, *, text: str | None) -> int:
    where, args = _text_filter(text)
    return int(await conn.fetchval(f"SELECT count(*) FROM custom_fields{where}", *args))


async def find_by_scope(conn: Connection, scope: str) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT doc FROM custom_fields WHERE scope = $1 ORDER BY id", scope)
    return [jsonutil.loads(row["doc"]) for row in rows]
