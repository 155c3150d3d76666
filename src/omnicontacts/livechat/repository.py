"""All SQL of the livechat domain: visitors, rooms, messages, subscriptions, inquiries.

Each record is its wire-shaped document plus the columns that queries filter on; both are written
together, inside the caller's transaction.
"""

from typing import Any

from omnicontacts import jsonutil
from omnicontacts.storage import Connection


def _loads(text: Any) -> dict[str, Any] | None:
    return None if text is None else jsonutil.loads(text)


def _lock(conn: Connection, for_update: bool) -> str:
    return " FOR UPDATE" if for_update and conn.dialect == "postgresql" else ""


# --- visitors ----------------------------------------------------------------------------------


def _visitor_columns(doc: dict[str, Any]) -> tuple[Any, ...]:
    return (
        doc["_id"],
        doc.get("token"),
        doc.get("username"),
        bool(doc.get("disabled")),
        doc.get("_updatedAt") or doc.get("ts") or "",
        jsonutil.dumps_str(doc),
    )


async def _write_visitor_index_rows(conn: Connection, doc: dict[str, Any]) -> None:
    visitor_id = doc["_id"]
    emails = {item["address"] for item in doc.get("visitorEmails") or [] if isinstance(item.get("address"), str)}
    phones = {item["phoneNumber"] for item in doc.get("phone") or [] if isinstance(item.get("phoneNumber"), str)}
    if emails:
        await conn.executemany(
            "INSERT INTO visitor_emails (visitor_id, address) VALUES ($1, $2)",
            [(visitor_id, address) for address in sorted(emails)],
        )
    if phones:
        await conn.executemany(
            "INSERT INTO visitor_phones (visitor_id, phone) VALUES ($1, $2)",
            [(visitor_id, phone) for phone in sorted(phones)],
        )


async def insert_visitor(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO visitors (id, token, username, disabled, updated_at, doc) VALUES ($1, $2, $3, $4, $5, $6)",
        *_visitor_columns(doc),
    )
    await _write_visitor_index_rows(conn, doc)


async def save_visitor(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "UPDATE visitors SET token = $2, username = $3, disabled = $4, updated_at = $5, doc = $6 WHERE id = $1",
        *_visitor_columns(doc),
    )
    for table in ("visitor_emails", "visitor_phones"):
        await conn.execute(f"DELETE FROM {table} WHERE visitor_id = $1", doc["_id"])
    await _write_visitor_index_rows(conn, doc)


async def find_visitor_by_token(conn: Connection, token: str, *, for_update: bool = False) -> dict[str, Any] | None:
    """An enabled visitor (erased visitors lose their token, so they never match)."""
    sql = "SELECT doc FROM visitors WHERE token = $1 AND NOT disabled" + _lock(conn, for_update)
    return _loads(await conn.fetchval(sql, token))


async def find_visitor(conn: Connection, visitor_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    """A visitor by id, erased or not."""
    sql = "SELECT doc FROM visitors WHERE id = $1" + _lock(conn, for_update)
    return _loads(await conn.fetchval(sql, visitor_id))


async def find_visitor_by_phone(conn: Connection, phone: str) -> dict[str, Any] | None:
    return _loads(
        await conn.fetchval(
            "SELECT v.doc FROM visitor_phones p JOIN visitors v ON v.id = p.visitor_id "
            "WHERE p.phone = $1 AND NOT v.disabled ORDER BY v.id LIMIT 1",
            phone,
        )
    )


async def find_visitor_by_email(conn: Connection, address: str) -> dict[str, Any] | None:
    """Visitors' addresses are stored lower-cased, so this is Rocket.Chat's case-insensitive match."""
    return _loads(
        await conn.fetchval(
            "SELECT v.doc FROM visitor_emails e JOIN visitors v ON v.id = e.visitor_id "
            "WHERE e.address = $1 AND NOT v.disabled ORDER BY v.id LIMIT 1",
            address.lower(),
        )
    )


async def next_guest_number(conn: Connection) -> int:
    """Increment setting `Livechat_guest_count` and answer the new value (`guest-<n>`).

    The row is locked until the caller's transaction ends, so two new visitors never share a
    number. The settings cache is not told: nothing reads this counter from the cache.
    """
    text = await conn.fetchval(
        "SELECT doc FROM settings WHERE id = 'Livechat_guest_count'" + _lock(conn, True),
    )
    doc = _loads(text) or {"_id": "Livechat_guest_count", "value": 0}
    try:
        value = int(doc.get("value") or 0) + 1
    except (TypeError, ValueError):
        value = 1
    doc["value"] = value
    await conn.execute(
        "UPDATE settings SET value = $1, doc = $2 WHERE id = 'Livechat_guest_count'",
        jsonutil.dumps_str(value),
        jsonutil.dumps_str(doc),
    )
    return value


# --- custom field definitions (read only; the custom fields family owns the table) -------------


async def custom_fields(conn: Connection, scope: str | None = None) -> list[dict[str, Any]]:
    if scope is None:
        rows = await conn.fetch("SELECT doc FROM custom_fields ORDER BY id")
    else:
        rows = await conn.fetch("SELECT doc FROM custom_fields WHERE scope = $1 ORDER BY id", scope)
    return [jsonutil.loads(row["doc"]) for row in rows]


async def find_custom_field(conn: Connection, field_id: str) -> dict[str, Any] | None:
    return _loads(await conn.fetchval("SELECT doc FROM custom_fields WHERE id = $1", field_id))


# --- rooms -------------------------------------------------------------------------------------


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


async def find_room(conn: Connection, room_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    return _loads(await conn.fetchval("SELECT doc FROM rooms WHERE id = $1" + _lock(conn, for_update), room_id))


async def find_visitor_room(
    conn: Connection, room_id: str, visitor_id: str, *, open_only: bool = False, for_update: bool = False
) -> dict[str, Any] | None:
    """A room of that visitor (Rocket.Chat's `findRoom(token, rid)`), optionally only if open."""
    sql = "SELECT doc FROM rooms WHERE id = $1 AND visitor_id = $2" + (" AND open" if open_only else "")
    return _loads(await conn.fetchval(sql + _lock(conn, for_update), room_id, visitor_id))


async def find_open_room_of_visitor(conn: Connection, visitor_id: str) -> dict[str, Any] | None:
    return _loads(
        await conn.fetchval(
            "SELECT doc FROM rooms WHERE visitor_id = $1 AND open ORDER BY ts DESC, id DESC LIMIT 1", visitor_id
        )
    )


async def open_rooms_of_visitor(conn: Connection, visitor_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT doc FROM rooms WHERE visitor_id = $1 AND open ORDER BY ts, id", visitor_id)
    return [jsonutil.loads(row["doc"]) for row in rows]


async def room_ids_of_visitor(conn: Connection, visitor_id: str) -> list[str]:
    return [row["id"] for row in await conn.fetch("SELECT id FROM rooms WHERE visitor_id = $1", visitor_id)]


async def delete_rooms_with_everything(conn: Connection, room_ids: list[str]) -> None:
    """Rooms, and their messages, subscriptions and inquiries: what a visitor erasure removes."""
    for room_id in room_ids:
        for table in ("messages", "subscriptions", "inquiries"):
            await conn.execute(f"DELETE FROM {table} WHERE rid = $1", room_id)
        await conn.execute("DELETE FROM rooms WHERE id = $1", room_id)


# --- messages ----------------------------------------------------------------------------------


async def insert_message(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO messages (id, rid, ts, doc) VALUES ($1, $2, $3, $4)",
        doc["_id"],
        doc["rid"],
        doc["ts"],
        jsonutil.dumps_str(doc),
    )


async def find_message(conn: Connection, message_id: str) -> dict[str, Any] | None:
    return _loads(await conn.fetchval("SELECT doc FROM messages WHERE id = $1", message_id))


async def room_messages(conn: Connection, room_id: str, *, newest_first: bool) -> list[dict[str, Any]]:
    """Every message of one room in time order. Transcripts are read whole: one conversation is
    small, and the filters clients ask for (message type, a substring) apply to the document."""
    direction = "DESC" if newest_first else "ASC"
    rows = await conn.fetch(f"SELECT doc FROM messages WHERE rid = $1 ORDER BY ts {direction}, id {direction}", room_id)
    return [jsonutil.loads(row["doc"]) for row in rows]


# --- subscriptions -----------------------------------------------------------------------------


async def insert_subscription(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO subscriptions (id, rid, user_id, doc) VALUES ($1, $2, $3, $4)",
        doc["_id"],
        doc["rid"],
        doc["u"]["_id"],
        jsonutil.dumps_str(doc),
    )


async def save_subscription(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute("UPDATE subscriptions SET doc = $2 WHERE id = $1", doc["_id"], jsonutil.dumps_str(doc))


async def find_subscription(conn: Connection, room_id: str, user_id: str) -> dict[str, Any] | None:
    return _loads(
        await conn.fetchval("SELECT doc FROM subscriptions WHERE rid = $1 AND user_id = $2", room_id, user_id)
    )


async def room_subscriptions(conn: Connection, room_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT doc FROM subscriptions WHERE rid = $1 ORDER BY id", room_id)
    return [jsonutil.loads(row["doc"]) for row in rows]


# --- inquiries ---------------------------------------------------------------------------------


async def insert_inquiry(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO inquiries (id, rid, status, doc) VALUES ($1, $2, $3, $4)",
        doc["_id"],
        doc["rid"],
        doc["status"],
        jsonutil.dumps_str(doc),
    )


async def save_inquiry(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "UPDATE inquiries SET status = $2, doc = $3 WHERE id = $1",
        doc["_id"],
        doc["status"],
        jsonutil.dumps_str(doc),
    )


async def find_inquiry(conn: Connection, inquiry_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    sql = "SELECT doc FROM inquiries WHERE id = $1" + _lock(conn, for_update)
    return _loads(await conn.fetchval(sql, inquiry_id))


async def find_inquiry_by_room(conn: Connection, room_id: str) -> dict[str, Any] | None:
    return _loads(await conn.fetchval("SELECT doc FROM inquiries WHERE rid = $1", room_id))


async def delete_inquiry_by_room(conn: Connection, room_id: str) -> None:
    await conn.execute("DELETE FROM inquiries WHERE rid = $1", room_id)


async def delete_subscriptions_by_room(conn: Connection, room_id: str) -> None:
    await conn.execute("DELETE FROM subscriptions WHERE rid = $1", room_id)


# --- used by the contacts family ---
# Renames that follow a contact or visitor name change, and the lookup contacts.block needs.
# Documents are rewritten in Python so their key order stays as stored.


def _rooms_of_visitors_sql(count: int) -> str:
    placeholders = ", ".join(f"${index}" for index in range(1, count + 1))
    return f"SELECT id FROM rooms WHERE visitor_id IN ({placeholders})"


async def find_rooms_by_contact(conn: Connection, contact_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT doc FROM rooms WHERE contact_id = $1 AND t = 'l' ORDER BY id", contact_id)
    return [jsonutil.loads(row["doc"]) for row in rows]


async def find_open_room_by_association(
    conn: Connection, visitor_id: str, source_type: str, source_id: str | None
) -> dict[str, Any] | None:
    """The open room of one contact channel: visitor + source type (+ source id when given)."""
    sql = "SELECT doc FROM rooms WHERE visitor_id = $1 AND open AND source_type = $2"
    args: list[Any] = [visitor_id, source_type.lower()]
    if source_id:
        sql += " AND source_id = $3"
        args.append(source_id)
    return _loads(await conn.fetchval(sql + " ORDER BY ts DESC, id DESC LIMIT 1", *args))


async def _set_doc_keys(conn: Connection, table: str, rows: list[Any], change: dict[str, Any]) -> None:
    """Set top-level keys in each row's document (`table` is one of our own names)."""
    for row in rows:
        doc = jsonutil.loads(row["doc"])
        doc.update(change)
        await conn.execute(f"UPDATE {table} SET doc = $2 WHERE id = $1", row["id"], jsonutil.dumps_str(doc))


async def rename_subscriptions_by_visitors(conn: Connection, visitor_ids: list[str], name: str) -> None:
    """`name` and `fname` of every subscription to a room of these visitors (the room's `v._id`)."""
    if visitor_ids:
        sql = f"SELECT id, doc FROM subscriptions WHERE rid IN ({_rooms_of_visitors_sql(len(visitor_ids))})"
        await _set_doc_keys(
            conn, "subscriptions", list(await conn.fetch(sql, *visitor_ids)), {"name": name, "fname": name}
        )


async def rename_inquiries_by_visitors(conn: Connection, visitor_ids: list[str], name: str) -> None:
    if visitor_ids:
        sql = f"SELECT id, doc FROM inquiries WHERE rid IN ({_rooms_of_visitors_sql(len(visitor_ids))})"
        await _set_doc_keys(conn, "inquiries", list(await conn.fetch(sql, *visitor_ids)), {"name": name})
