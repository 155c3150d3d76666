"""SQL of the visitor directory: finding visitors, and a visitor's conversations.

Every statement starts from an index: the visitors' email and phone tables for exact addresses
and numbers, the trigram index on `visitors.search_text` for substrings of names and usernames
(pg_trgm on PostgreSQL, FTS5 on SQLite), its b-tree for name prefixes, `visitors (ts, id)` for
the plain listing, `visitors (last_chat_ts, id)` for the listing by last conversation, and
`rooms (visitor_id, ts, id)` for a visitor's conversations.
"""

from dataclasses import dataclass
from typing import Any

from omnicontacts import jsonutil
from omnicontacts.livechat.repository import TRIGRAM_MIN, VISITOR_SEARCH_SEPARATOR
from omnicontacts.restapi.query import like_pattern, limit_offset, order_by
from omnicontacts.storage import Connection

VISITOR_SORT_COLUMNS = {"ts": "ts", "_id": "id", "username": "username", "lastChat.ts": "last_chat_ts"}
VISITOR_SORT_NULLABLE = frozenset({"ts", "username", "last_chat_ts"})
ROOM_SORT_COLUMNS = {"ts": "ts", "_id": "id", "closedAt": "closed_at"}
ROOM_SORT_NULLABLE = frozenset({"closed_at"})
# Above every character a name can hold: the upper end of a prefix's key range (byte order).
TOP = "\U0010ffff"


def _name_match(dialect: str, term: str, args: list[Any]) -> str:
    """SQL choosing the visitors whose name or username holds `term` (lower-cased)."""
    if VISITOR_SEARCH_SEPARATOR in term:
        return "SELECT id FROM visitors WHERE 1 = 0"
    args.append(like_pattern(term))
    like = f"search_text LIKE ${len(args)} ESCAPE '\\'"
    if dialect == "sqlite" and len(term) >= TRIGRAM_MIN:
        args.append('"' + term.replace('"', '""') + '"')
        fts = f"SELECT rowid FROM visitors_fts WHERE visitors_fts MATCH ${len(args)}"
        return f"SELECT id FROM visitors WHERE seq IN ({fts}) AND {like}"
    return f"SELECT id FROM visitors WHERE {like}"


def _search_filter(dialect: str, term: str) -> tuple[str, list[Any]]:
    if not term:
        return "NOT disabled", []
    args: list[Any] = [term]
    name = _name_match(dialect, term.lower(), args)
    return (
        "NOT disabled AND id IN (SELECT visitor_id FROM visitor_emails WHERE address = $1 "
        f"UNION SELECT visitor_id FROM visitor_phones WHERE phone = $1 UNION {name})",
        args,
    )


async def search_page(
    conn: Connection, *, term: str, sort: dict[str, int] | None, offset: int, count: int
) -> list[dict[str, Any]]:
    where, args = _search_filter(conn.dialect, term)
    order = order_by(sort, VISITOR_SORT_COLUMNS, "ts DESC, id DESC", nullable=VISITOR_SORT_NULLABLE)
    rows = await conn.fetch(f"SELECT doc FROM visitors WHERE {where} {order} {limit_offset(count, offset)}", *args)
    return [jsonutil.loads(row["doc"]) for row in rows]


async def search_total(conn: Connection, *, term: str) -> int:
    where, args = _search_filter(conn.dialect, term)
    return int(await conn.fetchval(f"SELECT count(*) FROM visitors WHERE {where}", *args))


async def name_prefix_page(conn: Connection, *, prefix: str, exceptions: list[str], limit: int) -> list[dict[str, Any]]:
    """Visitors whose name starts with `prefix` (lower-cased), in the order of the b-tree on
    `search_text` (a prefix of that text is a prefix of the name)."""
    low = prefix if prefix else " "
    args: list[Any] = [low, prefix + TOP]
    where = "search_text >= $1 AND search_text < $2"
    if exceptions:
        marks = ", ".join(f"${index}" for index in range(3, 3 + len(exceptions)))
        where += f" AND id NOT IN ({marks})"
        args += exceptions
    rows = await conn.fetch(
        f"SELECT doc FROM visitors WHERE {where} ORDER BY search_text, id LIMIT {int(limit)}", *args
    )
    return [jsonutil.loads(row["doc"]) for row in rows]


async def enabled_visitor(conn: Connection, visitor_id: str) -> dict[str, Any] | None:
    text = await conn.fetchval("SELECT doc FROM visitors WHERE id = $1 AND NOT disabled", visitor_id)
    return None if text is None else jsonutil.loads(text)


# --- a visitor's conversations -------------------------------------------------------------------


async def rooms_of_visitor_page(
    conn: Connection, visitor_id: str, *, sort: dict[str, int] | None, offset: int, count: int
) -> list[dict[str, Any]]:
    order = order_by(sort, ROOM_SORT_COLUMNS, "ts DESC, id DESC", nullable=ROOM_SORT_NULLABLE)
    rows = await conn.fetch(
        f"SELECT doc FROM rooms WHERE visitor_id = $1 AND t = 'l' {order} {limit_offset(count, offset)}", visitor_id
    )
    return [jsonutil.loads(row["doc"]) for row in rows]


async def rooms_of_visitor_total(conn: Connection, visitor_id: str) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM rooms WHERE visitor_id = $1 AND t = 'l'", visitor_id))


@dataclass(frozen=True)
class ChatFilter:
    closed_only: bool = False
    served_only: bool = False
    # A case-insensitive literal substring of the source's type or alias.
    source: str | None = None


def _chats_filter(visitor_id: str, chats: ChatFilter) -> tuple[str, list[Any]]:
    where = "visitor_id = $1"
    args: list[Any] = [visitor_id]
    if chats.closed_only:
        where += " AND closed_at IS NOT NULL"
    if chats.served_only:
        where += " AND served_by IS NOT NULL"
    if chats.source:
        # rooms.source_type / source_alias are stored lower-cased for this filter.
        args.append(like_pattern(chats.source.lower()))
        where += " AND (source_type LIKE $2 ESCAPE '\\' OR source_alias LIKE $2 ESCAPE '\\')"
    return where, args


async def chats_of_visitor(
    conn: Connection,
    visitor_id: str,
    chats: ChatFilter,
    *,
    sort: dict[str, int] | None,
    offset: int,
    count: int,
) -> list[dict[str, Any]]:
    where, args = _chats_filter(visitor_id, chats)
    order = order_by(sort, ROOM_SORT_COLUMNS, "ts DESC, id DESC", nullable=ROOM_SORT_NULLABLE)
    rows = await conn.fetch(f"SELECT doc FROM rooms WHERE {where} {order} {limit_offset(count, offset)}", *args)
    return [jsonutil.loads(row["doc"]) for row in rows]


async def chats_of_visitor_total(conn: Connection, visitor_id: str, chats: ChatFilter) -> int:
    where, args = _chats_filter(visitor_id, chats)
    return int(await conn.fetchval(f"SELECT count(*) FROM rooms WHERE {where}", *args))
