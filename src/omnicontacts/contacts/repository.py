"""All SQL of the contacts domain.

A contact is stored as its wire-shaped document plus the columns queries need; its emails,
phones and channel associations are mirrored into narrow index tables in the same transaction.
"""

from typing import Any

from omnicontacts import jsonutil
from omnicontacts.restapi.query import like_pattern, limit_offset, order_by
from omnicontacts.storage import Connection

SEARCH_SEPARATOR = "\x1f"

# History items show these room fields (and `_id`), as Rocket.Chat's projection does.
HISTORY_FIELDS = (
    "_id",
    "fname",
    "ts",
    "v",
    "msgs",
    "servedBy",
    "closedAt",
    "closedBy",
    "closer",
    "tags",
    "source",
    "lastMessage",
    "closingMessage",
    "verified",
    "departmentId",
    "priorityWeight",
    "lm",
    "open",
    "onHold",
    "sessionId",
    "livechatData",
)
HISTORY_SORT_COLUMNS = {"closedAt": "closed_at", "ts": "ts", "_id": "id"}


def search_text(doc: dict[str, Any]) -> str:
    """What contacts.search matches: name, emails and phones, lower-cased, one field apart."""
    parts = [doc.get("name") if isinstance(doc.get("name"), str) else ""]
    parts += [email.get("address", "") for email in doc.get("emails") or []]
    parts += [phone.get("phoneNumber", "") for phone in doc.get("phones") or []]
    return SEARCH_SEPARATOR.join(str(part).lower() for part in parts)


def _columns(doc: dict[str, Any]) -> tuple[Any, ...]:
    last_chat = doc.get("lastChat") or {}
    return (
        doc["_id"],
        doc.get("name") if isinstance(doc.get("name"), str) else None,
        search_text(doc),
        doc.get("unknown"),
        doc.get("enabled", True) is not False,
        bool(doc.get("preRegistration")),
        doc["createdAt"],
        doc.get("_updatedAt") or doc["createdAt"],
        last_chat.get("ts"),
        jsonutil.dumps_str(doc),
    )


async def _write_index_rows(conn: Connection, doc: dict[str, Any]) -> None:
    contact_id = doc["_id"]
    emails = {email["address"] for email in doc.get("emails") or [] if isinstance(email.get("address"), str)}
    phones = {phone["phoneNumber"] for phone in doc.get("phones") or [] if isinstance(phone.get("phoneNumber"), str)}
    if emails:
        await conn.executemany(
            "INSERT INTO contact_emails (contact_id, address) VALUES ($1, $2)",
            [(contact_id, address) for address in sorted(emails)],
        )
    if phones:
        await conn.executemany(
            "INSERT INTO contact_phones (contact_id, phone) VALUES ($1, $2)",
            [(contact_id, phone) for phone in sorted(phones)],
        )
    channels = doc.get("channels") or []
    if channels:
        await conn.executemany(
            "INSERT INTO contact_channels (contact_id, visitor_id, source_type, source_id, blocked, verified, "
            "field, value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            [
                (
                    contact_id,
                    channel["visitor"]["visitorId"],
                    channel["visitor"]["source"]["type"],
                    channel["visitor"]["source"].get("id") or "",
                    bool(channel.get("blocked")),
                    bool(channel.get("verified")),
                    channel.get("field"),
                    channel.get("value"),
                )
                for channel in channels
            ],
        )


async def insert_contact(conn: Connection, doc: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO contacts (id, name, search_text, unknown, enabled, pre_registration, created_at, "
        "updated_at, last_chat_ts, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        *_columns(doc),
    )
    await _write_index_rows(conn, doc)


async def save_contact(conn: Connection, doc: dict[str, Any]) -> None:
    """Rewrite a stored contact and its index rows (inside the caller's transaction)."""
    await conn.execute(
        "UPDATE contacts SET name = $2, search_text = $3, unknown = $4, enabled = $5, pre_registration = $6, "
        "created_at = $7, updated_at = $8, last_chat_ts = $9, doc = $10 WHERE id = $1",
        *_columns(doc),
    )
    for table in ("contact_emails", "contact_phones", "contact_channels"):
        await conn.execute(f"DELETE FROM {table} WHERE contact_id = $1", doc["_id"])
    await _write_index_rows(conn, doc)


async def find_enabled_doc_text(conn: Connection, contact_id: str) -> str | None:
    """The stored JSON of an enabled contact, untouched, so it can go to the wire as it is."""
    value = await conn.fetchval("SELECT doc FROM contacts WHERE id = $1 AND enabled", contact_id)
    return value if value is None else str(value)


async def find_doc(conn: Connection, contact_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    """Any contact, enabled or not; `for_update` locks the row until the transaction ends."""
    suffix = " FOR UPDATE" if for_update and conn.dialect == "postgresql" else ""
    text = await conn.fetchval("SELECT doc FROM contacts WHERE id = $1" + suffix, contact_id)
    return None if text is None else jsonutil.loads(text)


async def enabled_exists(conn: Connection, contact_id: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM contacts WHERE id = $1 AND enabled", contact_id))


def _history_filter(source: str | None) -> tuple[str, list[Any]]:
    where = "contact_id = $1 AND closed_at IS NOT NULL"
    if source:
        # rooms.source_type / source_alias are stored lower-cased for this filter.
        return where + " AND (source_type LIKE $2 ESCAPE '\\' OR source_alias LIKE $2 ESCAPE '\\')", [
            like_pattern(source.lower())
        ]
    return where, []


async def history_page(
    conn: Connection,
    contact_id: str,
    *,
    source: str | None,
    sort: dict[str, int] | None,
    offset: int,
    count: int,
) -> list[dict[str, Any]]:
    where, extra = _history_filter(source)
    order = order_by(sort, HISTORY_SORT_COLUMNS, "closed_at DESC, id DESC")
    rows = await conn.fetch(
        f"SELECT doc FROM rooms WHERE {where} {order} {limit_offset(count, offset)}", contact_id, *extra
    )
    items = []
    for row in rows:
        room = jsonutil.loads(row["doc"])
        items.append({key: room[key] for key in HISTORY_FIELDS if key in room})
    return items


async def history_total(conn: Connection, contact_id: str, *, source: str | None) -> int:
    where, extra = _history_filter(source)
    return int(await conn.fetchval(f"SELECT count(*) FROM rooms WHERE {where}", contact_id, *extra))
