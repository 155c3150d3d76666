"""All SQL of the contacts domain.

A contact is stored as its wire-shaped document plus the columns queries need; its emails,
phones and channel associations are mirrored into narrow index tables in the same transaction.
"""

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from omnicontacts import jsonutil
from omnicontacts.restapi.query import like_pattern, limit_offset, order_by
from omnicontacts.storage import Connection, Row
from omnicontacts.storage.streaming import stream_rows

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


# FTS5's trigram index can only answer a substring of at least three characters.
TRIGRAM_MIN = 3
# Phone numbers as people write them. Any run of these characters in a search term lies inside
# a run of them in the text, so numbers are found through the keys `number_keys` makes
# (`contact_number_keys`): a trigram index is no help there, as ten digits make only a thousand
# trigrams and each is shared by a fixed share of all contacts.
NUMBER_RUN = re.compile(r"[0-9+\-(). ]+")
NUMBER_KEY_LENGTH = 16


def _digits(text: str) -> int:
    return sum(character.isdigit() for character in text)


# At each digit (every digit lies in a run), the rest of its run up to NUMBER_KEY_LENGTH
# characters: a lookahead, so the matches overlap and one regex pass finds every key.
_NUMBER_KEY = re.compile(rf"(?=([0-9][0-9+\-(). ]{{0,{NUMBER_KEY_LENGTH - 1}}}))")


def number_keys(text: str) -> set[str]:
    """The keys `contact_number_keys` holds for a search text: from each digit of each run of
    number characters, the rest of the run, up to NUMBER_KEY_LENGTH characters."""
    return set(_NUMBER_KEY.findall(text))


# A term whose longest number run has this many digits is looked up by that run: it is rarer
# than the trigrams of the letters around it, which synthetic and real names share alike.
NUMBER_PROBE_DIGITS = 4


def number_probe(term: str) -> str | None:
    """The key prefix that finds every contact holding `term`, when a number serves the search
    better than trigrams: a term that is a number of three characters or more, or that holds a
    number of NUMBER_PROBE_DIGITS digits or more. Whatever surrounds a run of number characters
    in the term, the text holds that run inside one of its own runs, so the key that starts at
    the run's first digit starts with the rest of the run."""
    runs: list[str] = [run for run in NUMBER_RUN.findall(term) if _digits(run)]
    if not runs:
        return None
    run = max(runs, key=_digits)
    if (run == term and len(term) >= TRIGRAM_MIN) or _digits(run) >= NUMBER_PROBE_DIGITS:
        first_digit = next(index for index, char in enumerate(run) if char.isdigit())
        return run[first_digit : first_digit + NUMBER_KEY_LENGTH]
    return None


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
        doc.get("contactManager") if isinstance(doc.get("contactManager"), str) else None,
        bool(doc.get("conflictingFields")),
    )


def _import_ids(doc: dict[str, Any]) -> list[str]:
    """The source systems' ids a contact was imported under (unique, in order)."""
    return list(dict.fromkeys(item for item in doc.get("importIds") or [] if isinstance(item, str)))


# The tables that index a contact's emails, phones, import ids and channels.
_INDEX_INSERTS = {
    "contact_emails": "INSERT INTO contact_emails (contact_id, address) VALUES ($1, $2)",
    "contact_phones": "INSERT INTO contact_phones (contact_id, phone) VALUES ($1, $2)",
    "contact_import_ids": "INSERT INTO contact_import_ids (import_id, contact_id) VALUES ($1, $2)",
    "contact_channels": "INSERT INTO contact_channels (contact_id, visitor_id, source_type, source_id, blocked, "
    "verified, field, value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
}


def _index_rows(doc: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of each index table a contact document makes."""
    contact_id = doc["_id"]
    emails = {email["address"] for email in doc.get("emails") or [] if isinstance(email.get("address"), str)}
    phones = {phone["phoneNumber"] for phone in doc.get("phones") or [] if isinstance(phone.get("phoneNumber"), str)}
    return {
        "contact_emails": [(contact_id, address) for address in sorted(emails)],
        "contact_phones": [(contact_id, phone) for phone in sorted(phones)],
        "contact_import_ids": [(import_id, contact_id) for import_id in _import_ids(doc)],
        "contact_channels": [
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
            for channel in doc.get("channels") or []
        ],
    }


async def _write_index_rows(
    conn: Connection, doc: dict[str, Any], old: dict[str, list[tuple[Any, ...]]] | None = None
) -> None:
    """Write the index rows of a contact; with the `old` rows known, only the tables whose rows
    changed (a rename or a new lastChat rewrites none of them)."""
    for table, rows in _index_rows(doc).items():
        if old is not None:
            if old.get(table, []) == rows:
                continue
            await conn.execute(f"DELETE FROM {table} WHERE contact_id = $1", doc["_id"])
        if rows:
            await conn.executemany(_INDEX_INSERTS[table], rows)


async def _write_number_keys(conn: Connection, contact_id: str, old_text: str, new_text: str) -> None:
    """Bring a contact's number keys from those of `old_text` to those of `new_text`; most saves
    (a new lastChat, a block) change no number and write nothing here."""
    old_keys, new_keys = number_keys(old_text), number_keys(new_text)
    if old_keys - new_keys:
        await conn.executemany(
            "DELETE FROM contact_number_keys WHERE key = $1 AND contact_id = $2",
            [(key, contact_id) for key in sorted(old_keys - new_keys)],
        )
    if new_keys - old_keys:
        await conn.executemany(
            "INSERT INTO contact_number_keys (key, contact_id) VALUES ($1, $2)",
            [(key, contact_id) for key in sorted(new_keys - old_keys)],
        )


async def insert_contact(conn: Connection, doc: dict[str, Any]) -> None:
    columns = _columns(doc)
    await conn.execute(
        "INSERT INTO contacts (id, name, search_text, unknown, enabled, pre_registration, created_at, "
        "updated_at, last_chat_ts, doc, contact_manager, has_conflicts) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        *columns,
    )
    await _write_index_rows(conn, doc)
    await _write_number_keys(conn, doc["_id"], "", columns[2])


async def save_contact(conn: Connection, doc: dict[str, Any]) -> None:
    """Rewrite a stored contact and its index rows (inside the caller's transaction)."""
    old_row = await conn.fetchrow("SELECT search_text, doc FROM contacts WHERE id = $1", doc["_id"])
    old_text = old_row["search_text"] if old_row is not None else None
    old_rows = _index_rows(jsonutil.loads(old_row["doc"])) if old_row is not None else None
    columns = _columns(doc)
    await conn.execute(
        "UPDATE contacts SET name = $2, search_text = $3, unknown = $4, enabled = $5, pre_registration = $6, "
        "created_at = $7, updated_at = $8, last_chat_ts = $9, doc = $10, contact_manager = $11, "
        "has_conflicts = $12 WHERE id = $1",
        *columns,
    )
    if old_rows is None:
        # No stored row to compare with: clear whatever index rows there are.
        for table in _INDEX_INSERTS:
            await conn.execute(f"DELETE FROM {table} WHERE contact_id = $1", doc["_id"])
    await _write_index_rows(conn, doc, old_rows)
    await _write_number_keys(conn, doc["_id"], old_text or "", columns[2])


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


def _history_sql(
    contact_id: str, *, source: str | None, sort: dict[str, int] | None, offset: int, count: int
) -> tuple[str, list[Any]]:
    where, extra = _history_filter(source)
    order = order_by(sort, HISTORY_SORT_COLUMNS, "closed_at DESC, id DESC")
    return f"SELECT doc FROM rooms WHERE {where} {order} {limit_offset(count, offset)}", [contact_id, *extra]


def _history_items(rows: list[Row]) -> list[dict[str, Any]]:
    items = []
    for row in rows:
        room = jsonutil.loads(row["doc"])
        items.append({key: room[key] for key in HISTORY_FIELDS if key in room})
    return items


async def history_page(
    conn: Connection,
    contact_id: str,
    *,
    source: str | None,
    sort: dict[str, int] | None,
    offset: int,
    count: int,
) -> list[dict[str, Any]]:
    sql, args = _history_sql(contact_id, source=source, sort=sort, offset=offset, count=count)
    return _history_items(await conn.fetch(sql, *args))


async def history_all(
    conn: Connection, contact_id: str, *, source: str | None, sort: dict[str, int] | None, offset: int
) -> AsyncIterator[list[dict[str, Any] | bytes]]:
    """Every closed conversation from `offset` on (count=0), a batch at a time."""
    sql, args = _history_sql(contact_id, source=source, sort=sort, offset=offset, count=0)
    async for rows in stream_rows(conn, sql, *args):
        yield list(_history_items(rows))


async def history_total(conn: Connection, contact_id: str, *, source: str | None) -> int:
    where, extra = _history_filter(source)
    return int(await conn.fetchval(f"SELECT count(*) FROM rooms WHERE {where}", contact_id, *extra))


# --- contacts.search ---------------------------------------------------------------------------

SEARCH_SORT_COLUMNS = {
    "name": "name",
    "_id": "id",
    "createdAt": "created_at",
    "_updatedAt": "updated_at",
    "lastChat.ts": "last_chat_ts",
    "unknown": "unknown",
}
SEARCH_NULLABLE = frozenset({"name", "last_chat_ts", "unknown"})
# Every search filters `unknown` by equality.
SEARCH_FIXED = frozenset({"unknown"})


def _search_filter(dialect: str, term: str, unknown: bool) -> tuple[str, list[Any]]:
    """WHERE clause and parameters for a lower-cased literal substring `term` ('' = everything).

    Candidates come from an index, and the LIKE on the row's `search_text` keeps the answer
    exact. A term with a number in it (digits and the punctuation phone numbers are written
    with, see `number_probe`): a key range of `contact_number_keys`. Other terms: the pg_trgm
    GIN index on `search_text` on PostgreSQL, the FTS5 trigram table on SQLite. Terms shorter
    than three characters scan.
    """
    where = "enabled AND unknown = $1"
    args: list[Any] = [unknown]
    if not term:
        return where, args
    if SEARCH_SEPARATOR in term:
        # The separator only joins fields; a term holding it would match across two of them.
        return "1 = 0", []
    args.append(like_pattern(term))
    prefix = number_probe(term)
    if prefix is not None:
        # Every key character sorts below U+007F (C collation), so the range is the prefix.
        args += [prefix, prefix + "\x7f"]
        # On SQLite `+unknown` keeps the planner from walking the listing index (see below).
        unknown_test = "+unknown = $1" if dialect == "sqlite" else "unknown = $1"
        return (
            "id IN (SELECT contact_id FROM contact_number_keys WHERE key >= $3 AND key < $4)"
            f" AND enabled AND {unknown_test} AND search_text LIKE $2 ESCAPE '\\'",
            args,
        )
    if dialect == "sqlite" and len(term) >= TRIGRAM_MIN:
        phrase = '"' + term.replace('"', '""') + '"'
        args.append(phrase)
        # `+unknown` keeps SQLite from walking the listing index: the FTS matches drive the
        # query, each row is fetched by rowid.
        return (
            "enabled AND +unknown = $1 AND rowid IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH $3)"
            " AND search_text LIKE $2 ESCAPE '\\'",
            args,
        )
    return where + " AND search_text LIKE $2 ESCAPE '\\'", args


def _search_sql(
    dialect: str, *, term: str, unknown: bool, sort: dict[str, int] | None, offset: int, count: int
) -> tuple[str, list[Any]]:
    where, args = _search_filter(dialect, term, unknown)
    order = order_by(
        sort, SEARCH_SORT_COLUMNS, "name ASC NULLS FIRST, id ASC", nullable=SEARCH_NULLABLE, fixed=SEARCH_FIXED
    )
    if not term and offset and count:
        # A page past the first of the whole list: its ids are counted off inside the sort's
        # index (migration 0017: every column the walk tests is in it, so no contact is read),
        # then only the page's contacts are read and put back in order. Reading `doc` in the
        # walk itself would fetch every contact before the offset.
        page = f"SELECT id FROM contacts WHERE {where} {order} {limit_offset(count, offset)}"
        return f"SELECT doc FROM contacts WHERE id IN ({page}) {order}", args
    return f"SELECT doc FROM contacts WHERE {where} {order} {limit_offset(count, offset)}", args


async def search_page(
    conn: Connection, *, term: str, unknown: bool, sort: dict[str, int] | None, offset: int, count: int
) -> list[dict[str, Any]]:
    sql, args = _search_sql(conn.dialect, term=term, unknown=unknown, sort=sort, offset=offset, count=count)
    rows = await conn.fetch(sql, *args)
    return [jsonutil.loads(row["doc"]) for row in rows]


async def search_all(
    conn: Connection, *, term: str, unknown: bool, sort: dict[str, int] | None, offset: int
) -> AsyncIterator[list[str]]:
    """Every match from `offset` on (count=0), a batch of stored documents (JSON text) at a time."""
    sql, args = _search_sql(conn.dialect, term=term, unknown=unknown, sort=sort, offset=offset, count=0)
    async for rows in stream_rows(conn, sql, *args):
        yield [str(row["doc"]) for row in rows]


async def kept_total(conn: Connection, *, unknown: bool) -> int:
    """The number of enabled contacts whose `unknown` is this value, from the counts the
    triggers of migration 0017 keep in every write's transaction (exact in every snapshot)."""
    return int(await conn.fetchval("SELECT coalesce(sum(n), 0) FROM contact_counts WHERE unknown = $1", unknown))


async def search_total(conn: Connection, *, term: str, unknown: bool) -> int:
    if not term:
        return await kept_total(conn, unknown=unknown)
    where, args = _search_filter(conn.dialect, term, unknown)
    return int(await conn.fetchval(f"SELECT count(*) FROM contacts WHERE {where}", *args))


# --- contacts.checkExistence: exact equality, enabled or not -------------------------------------


async def id_exists(conn: Connection, contact_id: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM contacts WHERE id = $1", contact_id))


async def email_exists(conn: Connection, address: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM contact_emails WHERE address = $1 LIMIT 1", address))


async def phone_exists(conn: Connection, phone: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM contact_phones WHERE phone = $1 LIMIT 1", phone))


# --- channels ----------------------------------------------------------------------------------


async def find_contact_id_by_association(
    conn: Connection, visitor_id: str, source_type: str, source_id: str | None
) -> str | None:
    """The contact holding a channel for this visitor and source (the id only when given)."""
    sql = "SELECT contact_id FROM contact_channels WHERE visitor_id = $1 AND source_type = $2"
    args: list[Any] = [visitor_id, source_type]
    if source_id:
        sql += " AND source_id = $3"
        args.append(source_id)
    value = await conn.fetchval(sql + " ORDER BY contact_id LIMIT 1", *args)
    return None if value is None else str(value)


# --- counters kept as settings (Resolved_Conflicts_Count) --------------------------------------


async def increment_setting(conn: Connection, setting_id: str, by: int, now: str) -> int | None:
    """Add `by` to a numeric setting under a row lock; answer the new value (None: no setting)."""
    suffix = " FOR UPDATE" if conn.dialect == "postgresql" else ""
    text = await conn.fetchval("SELECT doc FROM settings WHERE id = $1" + suffix, setting_id)
    if text is None:
        return None
    doc = jsonutil.loads(text)
    current = doc.get("value")
    value = (current if isinstance(current, int) and not isinstance(current, bool) else 0) + by
    doc["value"] = value
    doc["_updatedAt"] = now
    await conn.execute(
        "UPDATE settings SET value = $2, doc = $3 WHERE id = $1",
        setting_id,
        jsonutil.dumps_str(value),
        jsonutil.dumps_str(doc),
    )
    return value


# --- used by the contact lifecycle ---------------------------------------------------------------


def _placeholders(start: int, count: int) -> str:
    return ", ".join(f"${index}" for index in range(start, start + count))


async def find_preregistered_contact(
    conn: Connection, emails: list[str], phones: list[str], *, for_update: bool = False
) -> dict[str, Any] | None:
    """The oldest enabled pre-registered contact with exactly one of these emails or phones."""
    if not emails and not phones:
        return None
    # Each key is its own index lookup; the few contacts found are then checked and ordered. An
    # `id IN (...) OR id IN (...)` over contacts could use neither lookup and read every contact.
    lookups = []
    if emails:
        lookups.append(f"SELECT contact_id FROM contact_emails WHERE address IN ({_placeholders(1, len(emails))})")
    if phones:
        start = len(emails) + 1
        lookups.append(f"SELECT contact_id FROM contact_phones WHERE phone IN ({_placeholders(start, len(phones))})")
    sql = (
        f"SELECT c.id FROM ({' UNION ALL '.join(lookups)}) m JOIN contacts c ON c.id = m.contact_id "
        "WHERE c.pre_registration AND c.enabled ORDER BY c.created_at, c.id LIMIT 1"
    )
    contact_id = await conn.fetchval(sql, *emails, *phones)
    return None if contact_id is None else await find_doc(conn, str(contact_id), for_update=for_update)


async def contacts_of_visitor(conn: Connection, visitor_id: str, *, for_update: bool = False) -> list[dict[str, Any]]:
    """Every enabled contact with a channel of this visitor, over any source."""
    suffix = " FOR UPDATE" if for_update and conn.dialect == "postgresql" else ""
    rows = await conn.fetch(
        "SELECT doc FROM contacts WHERE enabled AND id IN "
        "(SELECT contact_id FROM contact_channels WHERE visitor_id = $1) ORDER BY created_at, id" + suffix,
        visitor_id,
    )
    return [jsonutil.loads(row["doc"]) for row in rows]


async def channel_is_blocked(conn: Connection, visitor_id: str, source_type: str, source_id: str | None) -> bool:
    sql = "SELECT 1 FROM contact_channels WHERE visitor_id = $1 AND source_type = $2 AND blocked"
    args: list[Any] = [visitor_id, source_type]
    if source_id:
        sql += " AND source_id = $3"
        args.append(source_id)
    return bool(await conn.fetchval(sql + " LIMIT 1", *args))


async def events_page(conn: Connection, contact_id: str, *, offset: int, count: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"SELECT doc FROM contact_events WHERE contact_id = $1 ORDER BY ts DESC, id DESC {limit_offset(count, offset)}",
        contact_id,
    )
    return [jsonutil.loads(row["doc"]) for row in rows]


async def events_total(conn: Connection, contact_id: str) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM contact_events WHERE contact_id = $1", contact_id))


# --- bulk import and export ------------------------------------------------------------------------

CONTACT_COLUMNS = (
    "id",
    "name",
    "search_text",
    "unknown",
    "enabled",
    "pre_registration",
    "created_at",
    "updated_at",
    "last_chat_ts",
    "doc",
    "contact_manager",
    "has_conflicts",
)


async def insert_contacts(conn: Connection, docs: list[dict[str, Any]]) -> None:
    """`insert_contact` for many new contacts without channels at once: the same columns and
    index rows, written with one bulk statement per table (COPY on PostgreSQL)."""
    contacts, emails, phones, keys, import_ids = [], [], [], [], []
    for doc in docs:
        columns = _columns(doc)
        contacts.append(columns)
        contact_id = doc["_id"]
        emails += [(contact_id, address) for address in sorted({item["address"] for item in doc.get("emails") or []})]
        phones += [(contact_id, phone) for phone in sorted({item["phoneNumber"] for item in doc.get("phones") or []})]
        keys += [(key, contact_id) for key in sorted(number_keys(columns[2]))]
        import_ids += [(import_id, contact_id) for import_id in _import_ids(doc)]
    await conn.copy_records("contacts", CONTACT_COLUMNS, contacts)
    await conn.copy_records("contact_emails", ("contact_id", "address"), emails)
    await conn.copy_records("contact_phones", ("contact_id", "phone"), phones)
    await conn.copy_records("contact_number_keys", ("key", "contact_id"), keys)
    await conn.copy_records("contact_import_ids", ("import_id", "contact_id"), import_ids)


def _in_list(dialect: str, values: list[str], start: int = 1) -> tuple[str, list[Any]]:
    """`= ANY($n)` with one array on PostgreSQL, an IN list on SQLite (values travel as parameters)."""
    if dialect == "postgresql":
        return f"= ANY(${start}::text[])", [values]
    return f"IN ({_placeholders(start, len(values))})", list(values)


async def contact_ids_by_import_ids(conn: Connection, import_ids: list[str]) -> dict[str, str]:
    if not import_ids:
        return {}
    test, args = _in_list(conn.dialect, import_ids)
    rows = await conn.fetch(f"SELECT import_id, contact_id FROM contact_import_ids WHERE import_id {test}", *args)
    return {row["import_id"]: row["contact_id"] for row in rows}


async def contact_ids_by_emails(conn: Connection, addresses: list[str]) -> dict[str, str]:
    """address -> the oldest contact holding it (enabled or not: erased contacts hold none)."""
    if not addresses:
        return {}
    test, args = _in_list(conn.dialect, addresses)
    rows = await conn.fetch(
        f"SELECT address, min(contact_id) AS contact_id FROM contact_emails WHERE address {test} GROUP BY address",
        *args,
    )
    return {row["address"]: row["contact_id"] for row in rows}


async def contact_ids_by_phones(conn: Connection, phones: list[str]) -> dict[str, str]:
    if not phones:
        return {}
    test, args = _in_list(conn.dialect, phones)
    rows = await conn.fetch(
        f"SELECT phone, min(contact_id) AS contact_id FROM contact_phones WHERE phone {test} GROUP BY phone", *args
    )
    return {row["phone"]: row["contact_id"] for row in rows}


async def export_total(conn: Connection, *, term: str, unknown: bool | None) -> int:
    if term:
        return await search_total(conn, term=term, unknown=bool(unknown))
    if unknown is None:
        return int(await conn.fetchval("SELECT count(*) FROM contacts WHERE enabled"))
    return await kept_total(conn, unknown=unknown)


async def export_page(
    conn: Connection, *, term: str, unknown: bool | None, after_id: str, limit: int
) -> list[dict[str, Any]]:
    """Enabled contacts in id order after `after_id` (keyset pages: constant cost per page),
    optionally only those contacts.search would find for `term`."""
    if term:
        where, args = _search_filter(conn.dialect, term, bool(unknown))
    else:
        where, args = "enabled", []
        if unknown is not None:
            args.append(unknown)
            where += f" AND unknown = ${len(args)}"
    args.append(after_id)
    rows = await conn.fetch(
        f"SELECT doc FROM contacts WHERE {where} AND id > ${len(args)} ORDER BY id LIMIT {int(limit)}", *args
    )
    return [jsonutil.loads(row["doc"]) for row in rows]


# --- the Contact Center's contact list: contacts.search's match plus filters, keyset pages ------


@dataclass(frozen=True)
class ListFilters:
    """What the contact list narrows by, on top of contacts.search's term and `unknown`.
    Each filter is served by an index of its own (migration 0012)."""

    term: str = ""
    unknown: bool = False
    channel_type: str | None = None
    blocked: bool = False
    manager: str | None = None
    last_chat_from: str | None = None
    last_chat_to: str | None = None
    conflicts: bool = False


# sort name -> (ORDER BY, keyset column, descending); the id always breaks ties.
LIST_SORTS = {
    "name": ("name ASC NULLS FIRST, id ASC", "name", False),
    "created": ("created_at DESC, id DESC", "created_at", True),
    "lastChat": ("last_chat_ts DESC NULLS LAST, id DESC", None, True),
}


def _list_filter(dialect: str, filters: ListFilters) -> tuple[str, list[Any]]:
    where, args = _search_filter(dialect, filters.term, filters.unknown)
    clauses = [where]

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if filters.channel_type:
        clauses.append(
            f"id IN (SELECT contact_id FROM contact_channels WHERE source_type = {arg(filters.channel_type)})"
        )
    if filters.blocked:
        clauses.append(f"id IN (SELECT contact_id FROM contact_channels WHERE blocked = {arg(True)})")
    if filters.manager:
        clauses.append(f"contact_manager = {arg(filters.manager)}")
    if filters.last_chat_from:
        clauses.append(f"last_chat_ts >= {arg(filters.last_chat_from)}")
    if filters.last_chat_to:
        clauses.append(f"last_chat_ts < {arg(filters.last_chat_to)}")
    if filters.conflicts:
        clauses.append("has_conflicts")
    return " AND ".join(f"({clause})" for clause in clauses), args


def _keyset(column: str, descending: bool, after: tuple[str | None, str], args: list[Any]) -> str:
    """The rows after `after` = (sort value, id) in the listing's order: a range of its index."""
    value, last_id = after
    op = "<" if descending else ">"
    args.append(last_id)
    id_arg = f"${len(args)}"
    if value is None:
        # Only `name` is keyset-paged and nullable: missing names come first, then every name.
        return f"(({column} IS NULL AND id {op} {id_arg}) OR {column} IS NOT NULL)"
    args.append(value)
    value_arg = f"${len(args)}"
    return f"{column} {op}= {value_arg} AND ({column} {op} {value_arg} OR id {op} {id_arg})"


async def list_page(
    conn: Connection,
    filters: ListFilters,
    *,
    sort: str,
    count: int,
    after: tuple[str | None, str] | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """One page of the contact list. Sorts with a keyset column page by `after` (the last row's
    value and id), whatever the depth; the last-chat sort, whose missing values sort last, pages
    by offset."""
    where, args = _list_filter(conn.dialect, filters)
    order, column, descending = LIST_SORTS[sort]
    if after is not None and column is not None:
        where += " AND " + _keyset(column, descending, after, args)
        offset = 0
    rows = await conn.fetch(
        f"SELECT doc FROM contacts WHERE {where} ORDER BY {order} {limit_offset(count, offset)}", *args
    )
    return [jsonutil.loads(row["doc"]) for row in rows]


async def list_total(conn: Connection, filters: ListFilters) -> int:
    if filters == ListFilters(unknown=filters.unknown):
        return await kept_total(conn, unknown=filters.unknown)
    where, args = _list_filter(conn.dialect, filters)
    return int(await conn.fetchval(f"SELECT count(*) FROM contacts WHERE {where}", *args))
