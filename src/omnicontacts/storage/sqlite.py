"""The embedded SQLite default.

Queries on a local file take microseconds, so they run synchronously on the event loop rather
than hopping to a thread. One connection per process; an asyncio lock keeps a transaction that
spans awaits from interleaving with other requests on that connection. WAL mode lets other
processes read while one writes.
"""

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any, cast

from omnicontacts.storage.base import Connection, Dialect, Row

_PLACEHOLDER = re.compile(r"\$(\d+)")


@lru_cache(maxsize=2048)
def to_sqlite_sql(sql: str) -> str:
    """Rewrite `$1` placeholders to SQLite's `?1`; the SQL text is ours, never user input."""
    return _PLACEHOLDER.sub(r"?\1", sql)


class SqliteConnection:
    dialect: Dialect = "sqlite"

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return cast(list[Row], self._raw.execute(to_sqlite_sql(sql), args).fetchall())

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        return cast(Row | None, self._raw.execute(to_sqlite_sql(sql), args).fetchone())

    async def fetchval(self, sql: str, *args: Any) -> Any:
        row = self._raw.execute(to_sqlite_sql(sql), args).fetchone()
        return None if row is None else row[0]

    async def execute(self, sql: str, *args: Any) -> int:
        return self._raw.execute(to_sqlite_sql(sql), args).rowcount

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._raw.executemany(to_sqlite_sql(sql), rows)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        # IMMEDIATE takes the write lock up front: two read-modify-write transactions
        # can never both read the old row and lose one another's change.
        self._raw.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._raw.execute("ROLLBACK")
            raise
        self._raw.execute("COMMIT")


def connect_sqlite(path: str) -> sqlite3.Connection:
    raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    raw.row_factory = sqlite3.Row
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=NORMAL")
    raw.execute("PRAGMA busy_timeout=10000")
    raw.execute("PRAGMA foreign_keys=ON")
    return raw


def sqlite_path(url: str) -> str:
    """`sqlite:///relative.db`, `sqlite:////abs/path.db` or `sqlite:///:memory:` to a path."""
    return url.split("sqlite:///", 1)[1]


class SqliteStorage:
    dialect: Dialect = "sqlite"

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, url: str) -> "SqliteStorage":
        return cls(connect_sqlite(sqlite_path(url)))

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        async with self._lock:
            yield SqliteConnection(self._raw)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self.connection() as conn, conn.transaction():
            yield conn

    def usage(self) -> tuple[int, int]:
        return (1 if self._lock.locked() else 0), 1

    async def close(self) -> None:
        self._raw.close()
