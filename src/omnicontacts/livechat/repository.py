"""All SQL of the livechat domain: visitors, rooms, messages, subscriptions, inquiries.

Each record is its wire-shaped document plus the columns that queries filter on; both are written
together, inside the caller's transaction.
"""

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from omnicontacts import changes, jsonutil
from omnicontacts.restapi.query import like_pattern, limit_offset, order_by
from omnicontacts.storage import Connection
from omnicontacts.storage.streaming import stream_rows
from omnicontacts.timeutil import now_after


def _loads(text: Any) -> dict[str, Any] | None:
    return None if text is None else jsonutil.loads(text)


def _lock(conn: Connection, for_update: bool) -> str:
    return " FOR UPDATE" if for_update and conn.dialect == "postgresql" else ""


# --- visitors ----------------------------------------------------------------------------------


VISITOR_SEARCH_SEPARATOR = "\x1f"


def visitor_search_text(doc: dict[str, Any]) -> str:
    """What the visitor directory matches: the name, then the username, lower-cased, one field
    apart. The name comes first, so a prefix of this text is a prefix of the name."""
    parts = [doc.get("name"), doc.get("username")]
    return VISITOR_SEARCH_SEPARATOR.join(
        part.lower().replace(VISITOR_SEARCH_SEPARATOR, " ") if isinstance(part, str) else "" for part in parts
    )


def visitor_last_chat_ts(doc: dict[str, Any]) -> str | None:
    """When the visitor's newest room opened (`lastChat.ts`): the directory's "last chat" order."""
    last_chat = doc.get("lastChat")
    ts = last_chat.get("ts") if isinstance(last_chat, dict) else None
    return ts if isinstance(ts, str) else None


def _visitor_columns(doc: dict[str, Any]) -> tuple[Any, ...]:
    ts = doc.get("ts")
    return (
        doc["_id"],
        doc.get("token"),
        doc.get("username"),
        bool(doc.get("disabled")),
        doc.get("_updatedAt") or doc.get("ts") or "",
        jsonutil.dumps_str(doc),
        visitor_search_text(doc),
        ts if isinstance(ts, str) else None,
        visitor_last_chat_ts(doc),
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
        "INSERT INTO visitors (id, token, username, disabled, updated_at, doc, search_text, ts, last_chat_ts) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        *_visitor_columns(doc),
    )
    await _write_visitor_index_rows(conn, doc)


async def insert_visitor_if_new(conn: Connection, doc: dict[str, Any]) -> bool:
    """Insert a visitor unless its token or id is taken (then nothing happens): answer whether
    it was inserted. A concurrent insert of the same token waits for the other transaction and
    then does nothing, so racing first registrations never end in a unique-key error."""
    inserted = await conn.execute(
        "INSERT INTO visitors (id, token, username, disabled, updated_at, doc, search_text, ts, last_chat_ts) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        *_visitor_columns(doc),
    )
    if inserted:
        await _write_visitor_index_rows(conn, doc)
    return bool(inserted)


async def token_taken(conn: Connection, token: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM visitors WHERE token = $1", token))


async def save_visitor(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "UPDATE visitors SET token = $2, username = $3, disabled = $4, updated_at = $5, doc = $6, search_text = $7, "
        "ts = $8, last_chat_ts = $9 WHERE id = $1",
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


# `rooms.fields_text`: the room's text custom fields as "\x1ekey\x1fvalue\x1e…", values lower-cased,
# so that a trigram index finds the rooms a `customFields` filter asks for.
FIELD_START, FIELD_VALUE = "\x1e", "\x1f"


def fields_text(doc: dict[str, Any]) -> str | None:
    data = doc.get("livechatData")
    if not isinstance(data, dict):
        return None
    entries = [
        f"{key}{FIELD_VALUE}{value.lower()}"
        for key, value in sorted(data.items())
        if isinstance(value, str) and FIELD_START not in key and FIELD_VALUE not in key
    ]
    return FIELD_START + FIELD_START.join(entries) + FIELD_START if entries else None


def _room_columns(doc: dict[str, Any]) -> tuple[Any, ...]:
    source = doc.get("source") or {}
    alias = source.get("alias")
    fname = doc.get("fname")
    fname = fname if isinstance(fname, str) else None
    served_by = (doc.get("servedBy") or {}).get("_id")
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
        fname,
        # Lower-cased with Python, as livechat/rooms lower-cases the roomName it looks for.
        fname.lower() if fname is not None else None,
        served_by if isinstance(served_by, str) else None,
        fields_text(doc),
        department if isinstance(department := doc.get("departmentId"), str) else None,
        jsonutil.dumps_str(doc),
    )


def _room_tags(doc: dict[str, Any]) -> list[str]:
    tags = doc.get("tags")
    return sorted({tag for tag in tags if isinstance(tag, str)}) if isinstance(tags, list) else []


async def _write_room_tags(conn: Connection, doc: dict[str, Any], *, replace: bool) -> None:
    """The room's tags as `room_tags` rows, for the livechat/rooms tags filter. Tags are only
    ever added (when a room closes), so a room saved without tags has no rows to remove."""
    tags = _room_tags(doc)
    if not tags:
        return
    if replace:
        await conn.execute("DELETE FROM room_tags WHERE room_id = $1", doc["_id"])
    await conn.executemany("INSERT INTO room_tags (room_id, tag) VALUES ($1, $2)", [(doc["_id"], tag) for tag in tags])


def _contact_on_visitor(doc: dict[str, Any]) -> None:
    """The room's contact is also under `v.contactId`, where Rocket.Chat 7 clients read it; kept
    equal to the room's `contactId` on every write, so a merge that moves the room moves both."""
    visitor = doc.get("v")
    contact_id = doc.get("contactId")
    if isinstance(visitor, dict) and isinstance(contact_id, str) and visitor.get("contactId") != contact_id:
        doc["v"] = {**visitor, "contactId": contact_id}


async def insert_room(conn: Connection, doc: dict[str, Any]) -> None:
    _contact_on_visitor(doc)
    await conn.execute(
        "INSERT INTO rooms (id, t, contact_id, visitor_id, open, ts, closed_at, source_type, source_id, "
        "source_alias, fname, fname_key, served_by, fields_text, department_id, doc) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        *_room_columns(doc),
    )
    await _write_room_tags(conn, doc, replace=False)
    await changes.publish(conn, "room", rid=doc["_id"])


async def save_room(conn: Connection, doc: dict[str, Any]) -> None:
    _contact_on_visitor(doc)
    await conn.execute(
        "UPDATE rooms SET t = $2, contact_id = $3, visitor_id = $4, open = $5, ts = $6, closed_at = $7, "
        "source_type = $8, source_id = $9, source_alias = $10, fname = $11, fname_key = $12, served_by = $13, "
        "fields_text = $14, department_id = $15, doc = $16 WHERE id = $1",
        *_room_columns(doc),
    )
    await _write_room_tags(conn, doc, replace=True)
    await changes.publish(conn, "room", rid=doc["_id"])


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
        await conn.execute("DELETE FROM room_tags WHERE room_id = $1", room_id)
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
    await changes.publish(conn, "message", rid=doc["rid"], _id=doc["_id"])


async def next_message_ts(conn: Connection, room_id: str) -> str:
    """The time of a room's next message, never the same as the room's newest (see `now_after`)."""
    return now_after(await conn.fetchval("SELECT ts FROM messages WHERE rid = $1 ORDER BY ts DESC LIMIT 1", room_id))


async def find_message(conn: Connection, message_id: str) -> dict[str, Any] | None:
    return _loads(await conn.fetchval("SELECT doc FROM messages WHERE id = $1", message_id))


def _any_of(conn: Connection, column: str, count: int) -> str:
    """`column` is one of `count` values given as parameters ($1 as an array on PostgreSQL)."""
    if conn.dialect == "postgresql":
        return f"{column} = ANY($1::text[])"
    return f"{column} IN ({', '.join(f'${index}' for index in range(1, count + 1))})"


async def find_messages(conn: Connection, message_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Several messages by id in one query (the realtime layer reads a burst of them at once)."""
    if not message_ids:
        return {}
    sql = "SELECT id, doc FROM messages WHERE " + _any_of(conn, "id", len(message_ids))
    args: list[Any] = [message_ids] if conn.dialect == "postgresql" else list(message_ids)
    return {row["id"]: jsonutil.loads(row["doc"]) for row in await conn.fetch(sql, *args)}


async def room_messages(conn: Connection, room_id: str, *, newest_first: bool) -> list[dict[str, Any]]:
    """Every message of one room in time order, in memory (an export of the room's data)."""
    return [message async for message in iter_room_messages(conn, room_id, newest_first=newest_first)]


async def iter_room_messages(
    conn: Connection, room_id: str, *, newest_first: bool
) -> AsyncGenerator[dict[str, Any], None]:
    """The messages of one room in time order, read `MESSAGE_BATCH` at a time: a room may hold
    any number of messages, and most readers want a page or the first match (filters on the
    document, a message type or a substring, apply in Python). Iterate it under
    `contextlib.aclosing` when stopping early, so the cursor closes at once."""
    direction = "DESC" if newest_first else "ASC"
    sql = f"SELECT doc FROM messages WHERE rid = $1 ORDER BY ts {direction}, id {direction}"
    async with contextlib.aclosing(stream_rows(conn, sql, room_id, batch=MESSAGE_BATCH)) as batches:
        async for rows in batches:
            for row in rows:
                yield jsonutil.loads(row["doc"])


# Messages parsed at a time when a room's messages are read in order.
MESSAGE_BATCH = 200


async def page_of_messages(
    messages: AsyncGenerator[dict[str, Any], None],
    matches: Callable[[dict[str, Any]], bool],
    *,
    offset: int,
    count: int,
    total: bool = True,
) -> tuple[list[dict[str, Any]], int]:
    """The matching messages `offset` to `offset + count` (all from `offset` when `count` is 0)
    and how many match in all, keeping only the page in memory; without `total` the reading
    stops once the page is full (the count answered is then a lower bound)."""
    page: list[dict[str, Any]] = []
    seen = 0
    async with contextlib.aclosing(messages):
        async for message in messages:
            if not matches(message):
                continue
            if seen >= offset and (count <= 0 or len(page) < count):
                page.append(message)
            seen += 1
            if not total and count > 0 and len(page) >= count:
                break
    return page, seen


# --- subscriptions -----------------------------------------------------------------------------


async def insert_subscription(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO subscriptions (id, rid, user_id, doc) VALUES ($1, $2, $3, $4)",
        doc["_id"],
        doc["rid"],
        doc["u"]["_id"],
        jsonutil.dumps_str(doc),
    )
    await changes.publish(conn, "subscription", rid=doc["rid"], u=doc["u"]["_id"])


async def save_subscription(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute("UPDATE subscriptions SET doc = $2 WHERE id = $1", doc["_id"], jsonutil.dumps_str(doc))
    await changes.publish(conn, "subscription", rid=doc["rid"], u=doc["u"]["_id"])


async def delete_subscription(conn: Connection, room_id: str, user_id: str) -> None:
    await conn.execute("DELETE FROM subscriptions WHERE rid = $1 AND user_id = $2", room_id, user_id)
    await changes.publish(conn, "subscription", rid=room_id, u=user_id)


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
        "INSERT INTO inquiries (id, rid, status, ts, doc) VALUES ($1, $2, $3, $4, $5)",
        doc["_id"],
        doc["rid"],
        doc["status"],
        doc.get("ts"),
        jsonutil.dumps_str(doc),
    )
    await changes.publish(conn, "inquiry", _id=doc["_id"], rid=doc["rid"])


async def save_inquiry(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "UPDATE inquiries SET status = $2, ts = $3, doc = $4 WHERE id = $1",
        doc["_id"],
        doc["status"],
        doc.get("ts"),
        jsonutil.dumps_str(doc),
    )
    await changes.publish(conn, "inquiry", _id=doc["_id"], rid=doc["rid"])


async def find_inquiry(conn: Connection, inquiry_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    sql = "SELECT doc FROM inquiries WHERE id = $1" + _lock(conn, for_update)
    return _loads(await conn.fetchval(sql, inquiry_id))


async def find_inquiry_by_room(conn: Connection, room_id: str) -> dict[str, Any] | None:
    return _loads(await conn.fetchval("SELECT doc FROM inquiries WHERE rid = $1", room_id))


async def delete_inquiry_by_room(conn: Connection, room_id: str) -> None:
    for row in await conn.fetch("DELETE FROM inquiries WHERE rid = $1 RETURNING id", room_id):
        await changes.publish(conn, "inquiry", _id=row["id"], rid=room_id)


async def delete_subscriptions_by_room(conn: Connection, room_id: str) -> None:
    for row in await conn.fetch("DELETE FROM subscriptions WHERE rid = $1 RETURNING user_id", room_id):
        await changes.publish(conn, "subscription", rid=room_id, u=row["user_id"])


# --- used by the contacts family ---
# Renames that follow a contact or visitor name change, and the lookup contacts.block needs.
# Documents are rewritten in Python so their key order stays as stored.


def _rooms_of_visitors_sql(count: int) -> str:
    placeholders = ", ".join(f"${index}" for index in range(1, count + 1))
    return f"SELECT id FROM rooms WHERE visitor_id IN ({placeholders})"


async def find_rooms_by_contact(conn: Connection, contact_id: str, *, for_update: bool = False) -> list[dict[str, Any]]:
    """A contact's rooms in id order (the order several rooms are locked in)."""
    sql = "SELECT doc FROM rooms WHERE contact_id = $1 AND t = 'l' ORDER BY id" + _lock(conn, for_update)
    rows = await conn.fetch(sql, contact_id)
    return [jsonutil.loads(row["doc"]) for row in rows]


async def rename_rooms(conn: Connection, rooms: list[dict[str, Any]], name: str) -> None:
    """Give these rooms a new `fname`: only the name columns and the document change (a full
    `save_room` would also rewrite every column and the room's tags), in one batch."""
    rows = []
    for room in rooms:
        room["fname"] = name
        rows.append((room["_id"], name, name.lower(), jsonutil.dumps_str(room)))
    if rows:
        await conn.executemany("UPDATE rooms SET fname = $2, fname_key = $3, doc = $4 WHERE id = $1", rows)
    await changes.publish_many(conn, "room", [{"rid": room["_id"]} for room in rooms])


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
    updates = []
    for row in rows:
        doc = jsonutil.loads(row["doc"])
        doc.update(change)
        updates.append((row["id"], jsonutil.dumps_str(doc)))
    if updates:
        await conn.executemany(f"UPDATE {table} SET doc = $2 WHERE id = $1", updates)


async def rename_subscriptions_by_visitors(conn: Connection, visitor_ids: list[str], name: str) -> None:
    """`name` and `fname` of every subscription to a room of these visitors (the room's `v._id`)."""
    if visitor_ids:
        sql = (
            f"SELECT id, rid, user_id, doc FROM subscriptions WHERE rid IN ({_rooms_of_visitors_sql(len(visitor_ids))})"
        )
        rows = list(await conn.fetch(sql, *visitor_ids))
        await _set_doc_keys(conn, "subscriptions", rows, {"name": name, "fname": name})
        await changes.publish_many(conn, "subscription", [{"rid": row["rid"], "u": row["user_id"]} for row in rows])


async def rename_inquiries_by_visitors(conn: Connection, visitor_ids: list[str], name: str) -> None:
    if visitor_ids:
        sql = f"SELECT id, rid, doc FROM inquiries WHERE rid IN ({_rooms_of_visitors_sql(len(visitor_ids))})"
        rows = list(await conn.fetch(sql, *visitor_ids))
        await _set_doc_keys(conn, "inquiries", rows, {"name": name})
        await changes.publish_many(conn, "inquiry", [{"_id": row["id"], "rid": row["rid"]} for row in rows])


# --- livechat/rooms: the room listing ------------------------------------------------------------

ROOM_SORT_COLUMNS = {"ts": "ts", "_id": "id", "closedAt": "closed_at", "fname": "fname", "open": "open"}
ROOM_SORT_NULLABLE = frozenset({"closed_at", "fname"})
# FTS5's trigram index can only answer a substring of at least three characters.
TRIGRAM_MIN = 3


@dataclass
class RoomCriteria:
    """What livechat/rooms filters on, already checked and normalised by the caller. Times are
    ISO strings as stored (`YYYY-MM-DDTHH:MM:SS.mmmZ`), so ranges compare as text."""

    agents: list[str] | None = None
    # A lower-cased literal substring of the name, or an exact (case-sensitive) name.
    name_part: str | None = None
    exact_name: str | None = None
    open: bool | None = None
    served: bool | None = None
    created_from: str | None = None
    created_to: str | None = None
    closed_from: str | None = None
    closed_to: str | None = None
    tags: list[str] | None = None
    # {key: lower-cased literal substring of livechatData.<key>}
    custom_fields: dict[str, str] = field(default_factory=dict)
    # Rooms of one of these departments (`rooms_department`).
    departments: list[str] | None = None
    # A criterion no room here can meet (a unit, on hold).
    impossible: bool = False


class _Sql:
    """A WHERE clause under construction: every value becomes a `$n` parameter."""

    def __init__(self) -> None:
        self.terms: list[str] = []
        self.args: list[Any] = []

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    def args_list(self, values: list[str]) -> str:
        return ", ".join(self.arg(value) for value in values)


def _name_terms(sql: _Sql, dialect: str, needle: str) -> None:
    """A literal substring of `fname_key`: PostgreSQL's pg_trgm GIN index serves the LIKE; on
    SQLite the FTS5 trigram table finds the candidates (terms of 3+ characters), the LIKE on the
    row keeps the answer exact."""
    if dialect == "sqlite" and len(needle) >= TRIGRAM_MIN:
        sql.terms.append(f"rowid IN (SELECT rowid FROM rooms_fts WHERE rooms_fts MATCH {sql.arg(_phrase(needle))})")
    sql.terms.append(f"fname_key LIKE {sql.arg(like_pattern(needle))} ESCAPE '\\'")


def _phrase(text: str) -> str:
    """An FTS5 phrase matching `text` literally: user text is never FTS syntax."""
    return '"' + text.replace('"', '""') + '"'


def _custom_field_terms(sql: _Sql, dialect: str, key: str, needle: str) -> None:
    """`livechatData.<key>` holds the lower-cased literal `needle`. An index on `fields_text`
    finds the candidates (pg_trgm on PostgreSQL; on SQLite the FTS5 trigram table, by the key
    and, from three characters, the needle); the test on the document itself keeps it exact."""
    if FIELD_START in key or FIELD_VALUE in key:
        # No stored key holds a separator (see `fields_text`).
        sql.terms.append("1 = 0")
        return
    if dialect == "sqlite":
        query = _phrase(FIELD_START + key + FIELD_VALUE)
        if len(needle) >= TRIGRAM_MIN:
            query += " AND " + _phrase(needle)
        sql.terms.append(f"rowid IN (SELECT rowid FROM rooms_fields_fts WHERE rooms_fields_fts MATCH {sql.arg(query)})")
    else:
        escaped = like_pattern(FIELD_START + key + FIELD_VALUE)[:-1] + like_pattern(needle)
        sql.terms.append(f"fields_text LIKE {sql.arg(escaped)} ESCAPE '\\'")
    pattern = like_pattern(needle)
    if dialect == "postgresql":
        sql.terms.append(f"lower(doc::jsonb -> 'livechatData' ->> {sql.arg(key)}) LIKE {sql.arg(pattern)} ESCAPE '\\'")
    else:
        sql.terms.append(
            "EXISTS (SELECT 1 FROM json_each(rooms.doc, '$.livechatData') AS data "
            f"WHERE data.key = {sql.arg(key)} AND data.type = 'text' "
            f"AND lower(data.value) LIKE {sql.arg(pattern)} ESCAPE '\\')"
        )


def _room_where(dialect: str, criteria: RoomCriteria) -> tuple[str, list[Any]]:
    sql = _Sql()
    if criteria.impossible:
        return "1 = 0", []
    searching = criteria.name_part is not None or criteria.exact_name is not None or bool(criteria.custom_fields)
    # While a name search drives the query on SQLite, `+t` keeps the planner off the listing index.
    sql.terms.append("+t = 'l'" if searching and dialect == "sqlite" else "t = 'l'")
    if criteria.agents is not None:
        sql.terms.append(f"served_by IN ({sql.args_list(criteria.agents)})" if criteria.agents else "1 = 0")
    if criteria.departments is not None:
        departments = criteria.departments
        sql.terms.append(f"department_id IN ({sql.args_list(departments)})" if departments else "1 = 0")
    if criteria.exact_name is not None:
        if criteria.exact_name:
            _name_terms(sql, dialect, criteria.exact_name.lower())
        sql.terms.append(f"fname = {sql.arg(criteria.exact_name)}")
    elif criteria.name_part:
        _name_terms(sql, dialect, criteria.name_part)
    if criteria.open is not None:
        sql.terms.append("open" if criteria.open else "NOT open")
    if criteria.served is not None:
        sql.terms.append("served_by IS NOT NULL" if criteria.served else "served_by IS NULL")
    for column, bound, operator in (
        ("ts", criteria.created_from, ">="),
        ("ts", criteria.created_to, "<="),
        ("closed_at", criteria.closed_from, ">="),
        ("closed_at", criteria.closed_to, "<="),
    ):
        if bound is not None:
            sql.terms.append(f"{column} {operator} {sql.arg(bound)}")
    if criteria.tags is not None:
        sql.terms.append(
            f"id IN (SELECT room_id FROM room_tags WHERE tag IN ({sql.args_list(criteria.tags)}))"
            if criteria.tags
            else "1 = 0"
        )
    for key, needle in criteria.custom_fields.items():
        _custom_field_terms(sql, dialect, key, needle)
    return " AND ".join(sql.terms), sql.args


def _list_rooms_sql(
    dialect: str, criteria: RoomCriteria, *, sort: dict[str, int] | None, offset: int, count: int
) -> tuple[str, list[Any]]:
    where, args = _room_where(dialect, criteria)
    order = order_by(sort, ROOM_SORT_COLUMNS, "ts DESC, id DESC", nullable=ROOM_SORT_NULLABLE)
    return f"SELECT doc FROM rooms WHERE {where} {order} {limit_offset(count, offset)}", args


async def list_rooms(
    conn: Connection, criteria: RoomCriteria, *, sort: dict[str, int] | None, offset: int, count: int
) -> list[dict[str, Any]]:
    sql, args = _list_rooms_sql(conn.dialect, criteria, sort=sort, offset=offset, count=count)
    rows = await conn.fetch(sql, *args)
    return [jsonutil.loads(row["doc"]) for row in rows]


async def list_all_rooms(
    conn: Connection, criteria: RoomCriteria, *, sort: dict[str, int] | None, offset: int
) -> AsyncIterator[list[dict[str, Any] | bytes]]:
    """Every matching room from `offset` on (count=0), a batch of stored documents (JSON, as they
    go out) at a time."""
    sql, args = _list_rooms_sql(conn.dialect, criteria, sort=sort, offset=offset, count=0)
    async for rows in stream_rows(conn, sql, *args):
        yield [str(row["doc"]).encode() for row in rows]


def _count_rooms_sql(dialect: str, criteria: RoomCriteria) -> tuple[str, list[Any]]:
    """The total of a listing. Unfiltered, it is the count the triggers of `room_counts` keep in
    every room insert's and delete's transaction (migration 0015): exact, and a handful of rows
    to add instead of every room's index entry."""
    if criteria == RoomCriteria():
        return "SELECT COALESCE(sum(n), 0) FROM room_counts", []
    where, args = _room_where(dialect, criteria)
    return f"SELECT count(*) FROM rooms WHERE {where}", args


async def count_rooms(conn: Connection, criteria: RoomCriteria) -> int:
    sql, args = _count_rooms_sql(conn.dialect, criteria)
    return int(await conn.fetchval(sql, *args))


# --- the inquiry queue -----------------------------------------------------------------------------

INQUIRY_SORT_COLUMNS = {"ts": "ts", "_id": "id"}


async def list_inquiries(
    conn: Connection, status: str, *, sort: dict[str, int] | None, default_order: str, offset: int, count: int
) -> list[dict[str, Any]]:
    order = order_by(sort, INQUIRY_SORT_COLUMNS, default_order)
    rows = await conn.fetch(
        f"SELECT doc FROM inquiries WHERE status = $1 {order} {limit_offset(count, offset)}", status
    )
    return [jsonutil.loads(row["doc"]) for row in rows]


async def count_inquiries(conn: Connection, status: str) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM inquiries WHERE status = $1", status))
