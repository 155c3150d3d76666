"""Helpers for the tests that ask each database how it would run the repository's queries."""

import hashlib
import json
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from omnicontacts.storage import Connection, Row, Storage


class Explaining:
    """A connection that runs each read under EXPLAIN and keeps the plans (it answers no rows)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect
        self.plans: list[str] = []

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        prefix = "EXPLAIN QUERY PLAN " if self.dialect == "sqlite" else "EXPLAIN "
        rows = await self.conn.fetch(prefix + sql, *args)
        self.plans.append("\n".join(str(dict(row)) for row in rows))
        return []

    async def fetchval(self, sql: str, *args: Any) -> int:
        """A count, explained: answers 0."""
        await self.fetch(sql, *args)
        return 0


async def settle(conn: Connection, *, gin_index: str, tables: tuple[str, ...]) -> None:
    """PostgreSQL only, inside a transaction: the tables as autovacuum leaves them (rows inserted
    after CREATE INDEX wait in a GIN index's pending list, which the planner prices as a scan,
    until a vacuum), with statistics, and sequential scans off. The test tables are small: this
    asks whether an index can serve, not whether it pays."""
    if conn.dialect != "postgresql":
        return
    await conn.fetchval("SELECT gin_clean_pending_list($1::regclass)", gin_index)
    for table in tables:
        await conn.execute(f"ANALYZE {table}")
    await conn.execute("SET LOCAL enable_seqscan = off")


def letters(index: int) -> str:
    """A made-up word per index, so that a name or a field value is a selective term."""
    return "".join(chr(97 + byte % 26) for byte in hashlib.md5(str(index).encode()).digest()[:8])


# --- every statement a request runs, explained afterwards -----------------------------------------

# Tables that grow with contacts and conversations: no write path may read one of them whole.
BIG_TABLES = frozenset(
    {
        "contacts",
        "contact_emails",
        "contact_phones",
        "contact_channels",
        "contact_number_keys",
        "contact_events",
        "visitors",
        "visitor_emails",
        "visitor_phones",
        "rooms",
        "room_tags",
        "messages",
        "subscriptions",
        "inquiries",
    }
)
# Listing indexes lead with a column every row shares (`t`, `unknown`) or a time: searching one
# with only that is a walk of the whole table in index order, not a lookup.
WALK_INDEXES = frozenset(
    {
        "contacts_name_order",
        "contacts_last_chat_order",
        "contacts_created_order",
        "contacts_updated_order",
        "contacts_id_order",
        "contacts_created",
        "rooms_listing",
        "rooms_closed",
    }
)


@dataclass
class Statement:
    sql: str
    args: tuple[Any, ...]


class RecordingConnection:
    """A connection that runs everything and keeps each statement with its first arguments."""

    def __init__(self, conn: Connection, seen: dict[str, Statement]) -> None:
        self._conn = conn
        self._seen = seen
        self.dialect = conn.dialect

    def _keep(self, sql: str, args: Sequence[Any]) -> None:
        self._seen.setdefault(sql, Statement(sql, tuple(args)))

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        self._keep(sql, args)
        return await self._conn.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        self._keep(sql, args)
        return await self._conn.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        self._keep(sql, args)
        return await self._conn.fetchval(sql, *args)

    async def execute(self, sql: str, *args: Any) -> int:
        self._keep(sql, args)
        return await self._conn.execute(sql, *args)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._keep(sql, rows[0])
        await self._conn.executemany(sql, rows)

    async def copy_records(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        await self._conn.copy_records(table, columns, rows)

    def transaction(self) -> AbstractAsyncContextManager[None]:
        return self._conn.transaction()

    @property
    def commits(self) -> int:
        return self._conn.commits

    def released(self) -> AbstractAsyncContextManager[None]:
        return self._conn.released()


class RecordingStorage:
    """Wraps a running app's storage; `statements` collects what its requests ran."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self.dialect = storage.dialect
        self.statements: dict[str, Statement] = {}

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        async with self._storage.connection() as conn:
            yield RecordingConnection(conn, self.statements)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self._storage.transaction() as conn:
            yield RecordingConnection(conn, self.statements)

    async def close(self) -> None:
        await self._storage.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)


def _sqlite_aliases(sql: str) -> dict[str, str]:
    aliases = {}
    for table, alias in re.findall(r"\b(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?", sql, flags=re.IGNORECASE):
        aliases[table] = table
        if alias and alias.upper() not in _KEYWORDS:
            aliases[alias] = table
    return aliases


_KEYWORDS = frozenset({"WHERE", "JOIN", "ON", "ORDER", "GROUP", "LIMIT", "SET", "INNER", "LEFT", "UNION", "AND"})


def scans(dialect: str, sql: str, plan: Any) -> list[str]:
    """What in `plan` reads a big table whole: a sequential scan, an index walked without a
    condition, or a listing index (see WALK_INDEXES)."""
    found: list[str] = []
    if dialect == "sqlite":
        aliases = _sqlite_aliases(sql)
        for line in plan:
            match = re.search(r"\b(SCAN|SEARCH) (\w+)", line)
            if match is None:
                continue
            table = aliases.get(match.group(2), match.group(2))
            if table not in BIG_TABLES:
                continue
            if match.group(1) == "SCAN" or any(f"INDEX {index} " in line + " " for index in WALK_INDEXES):
                found.append(line)
        return found

    def walk(node: dict[str, Any], parent_table: str | None) -> None:
        # A bitmap index scan names only its index; its table is the heap scan above it.
        table = node.get("Relation Name") or parent_table
        index = node.get("Index Name")
        kind = node.get("Node Type", "")
        if table in BIG_TABLES and kind == "Seq Scan":
            found.append(f"Seq Scan on {table}")
        if index is not None and table in BIG_TABLES and not node.get("Index Cond"):
            found.append(f"{kind} using {index} without a condition")
        if index in WALK_INDEXES:
            found.append(f"{kind} using {index}")
        for child in node.get("Plans", []):
            walk(child, node.get("Relation Name"))

    walk(plan[0]["Plan"], None)
    return found


async def explain(conn: Connection, statement: Statement) -> Any:
    """The plan of one recorded statement: SQLite's EXPLAIN QUERY PLAN lines, PostgreSQL's JSON."""
    if conn.dialect == "sqlite":
        rows = await conn.fetch("EXPLAIN QUERY PLAN " + statement.sql, *statement.args)
        return [str(row["detail"]) for row in rows]
    text = await conn.fetchval("EXPLAIN (FORMAT JSON) " + statement.sql, *statement.args)
    return json.loads(text) if isinstance(text, str) else text
