"""The one storage interface the repositories use, whatever the database.

SQL is written once, in PostgreSQL's `$1` placeholder style; the SQLite backend rewrites the
placeholders to its numbered `?1` form. Values always travel as parameters, never inside SQL text.
"""

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, Protocol

Row = Mapping[str, Any]
Dialect = Literal["postgresql", "sqlite"]


class Connection(Protocol):
    dialect: Dialect

    async def fetch(self, sql: str, *args: Any) -> list[Row]: ...

    async def fetchrow(self, sql: str, *args: Any) -> Row | None: ...

    async def fetchval(self, sql: str, *args: Any) -> Any: ...

    async def execute(self, sql: str, *args: Any) -> int:
        """Run a statement; answer how many rows it touched."""
        ...

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """Make the statements inside one transaction: committed on exit, rolled back on error."""
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
