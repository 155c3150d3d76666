"""The one storage interface the repositories use, whatever the database.

SQL is written once, in PostgreSQL's `$1` placeholder style; the SQLite backend rewrites the
placeholders to its numbered `?1` form. Values always travel as parameters, never inside SQL text.
"""

import re
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from functools import lru_cache
from typing import Any, Literal, Protocol

Row = Mapping[str, Any]
Dialect = Literal["postgresql", "sqlite"]

_READ = re.compile(r"^\s*(SELECT|WITH)\b", re.IGNORECASE)
_WRITE_WORD = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE|RETURNING)\b", re.IGNORECASE)


@lru_cache(maxsize=2048)
def is_read(sql: str) -> bool:
    """A statement that writes nothing: a SELECT (or WITH) without INSERT, UPDATE, DELETE or
    RETURNING. The SQL text is ours, never user input."""
    return _READ.match(sql) is not None and _WRITE_WORD.search(sql) is None


class Connection(Protocol):
    dialect: Dialect

    async def fetch(self, sql: str, *args: Any) -> list[Row]: ...

    async def fetchrow(self, sql: str, *args: Any) -> Row | None: ...

    async def fetchval(self, sql: str, *args: Any) -> Any: ...

    async def execute(self, sql: str, *args: Any) -> int:
        """Run a statement; answer how many rows it touched."""
        ...

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    async def copy_records(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert many rows at once (PostgreSQL's COPY; one multi-row insert on SQLite)."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """Make the statements inside one transaction: committed on exit, rolled back on error."""
        ...

    @property
    def commits(self) -> int:
        """How many transactions this connection has committed, a write outside any transaction
        counting as one of its own; the request layer retries a request whose transaction was
        rolled back only when nothing of it was committed."""
        ...

    def released(self) -> AbstractAsyncContextManager[None]:
        """Let other requests use the database while this one does slow work that needs no
        database (password hashing). Never inside a transaction. On SQLite this gives up the
        process's one connection until the block ends; on PostgreSQL the pooled connection
        stays with the request, since others have their own."""
        ...


class Storage(Protocol):
    dialect: Dialect

    def connection(self) -> AbstractAsyncContextManager[Connection]:
        """A connection held for one request or job; open transactions on it as needed."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        """A connection already inside one transaction (for jobs that write and nothing else)."""
        ...

    def usage(self) -> tuple[int, int]:
        """(connections in use, connections open), for the metrics."""
        ...

    async def close(self) -> None: ...
