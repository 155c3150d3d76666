"""Helpers for the tests that ask each database how it would run the repository's queries."""

import hashlib
from typing import Any

from omnicontacts.storage import Connection


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
