"""PostgreSQL through asyncpg: the raw driver, because request paths are measured against it."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

import asyncpg

from omnicontacts.storage.base import Connection, Dialect, Row, is_read


class PgConnection:
    dialect: Dialect = "postgresql"

    def __init__(
        self,
        raw: "asyncpg.Connection[asyncpg.Record] | asyncpg.pool.PoolConnectionProxy[asyncpg.Record]",
        pool: asyncpg.Pool | None = None,
        turns: asyncio.Semaphore | None = None,
    ) -> None:
        self._raw = raw
        self._pool = pool
        self._turns = turns
        self._held = True
        self._commits = 0

    @property
    def commits(self) -> int:
        return self._commits

    @asynccontextmanager
    async def released(self) -> AsyncIterator[None]:
        # The pooled connection goes back to the pool meanwhile: slow work of many requests
        # (a flood of logins) must not take every connection from the others.
        if self._raw.is_in_transaction():
            raise RuntimeError("released() inside a transaction")
        if self._pool is None:
            yield
            return
        await self._give_back()
        try:
            yield
        finally:
            await self._take_turn()
            self._raw = await self._pool.acquire()
            self._held = True

    async def _take_turn(self) -> None:
        if self._turns is not None:
            await self._turns.acquire()

    async def _give_back(self) -> None:
        # Connection first, then the turn: whoever the turn goes to finds a connection free.
        assert self._pool is not None
        self._held = False
        try:
            await self._pool.release(self._raw)  # type: ignore[arg-type]
        finally:
            if self._turns is not None:
                self._turns.release()

    async def close(self) -> None:
        """Hand the connection back to its pool (the storage's `connection()` does this)."""
        if self._pool is not None and self._held:
            await self._give_back()

    def _wrote(self) -> None:
        if not self._raw.is_in_transaction():
            self._commits += 1  # a statement outside a transaction commits on its own

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        rows = cast(list[Row], await self._raw.fetch(sql, *args))
        if not is_read(sql):
            self._wrote()
        return rows

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        row = cast(Row | None, await self._raw.fetchrow(sql, *args))
        if not is_read(sql):
            self._wrote()
        return row

    async def fetchval(self, sql: str, *args: Any) -> Any:
        value = await self._raw.fetchval(sql, *args)
        if not is_read(sql):
            self._wrote()
        return value

    async def execute(self, sql: str, *args: Any) -> int:
        status: str = await self._raw.execute(sql, *args)
        self._wrote()
        # asyncpg answers e.g. "UPDATE 3" or "INSERT 0 1": the last word is the row count.
        last = status.rsplit(" ", 1)[-1]
        return int(last) if last.isdigit() else 0

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._raw.executemany(sql, rows)
        self._wrote()

    async def copy_records(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await self._raw.copy_records_to_table(table, records=rows, columns=list(columns))
            self._wrote()

    async def stream(self, sql: str, *args: Any, batch: int = 200) -> AsyncIterator[list[Row]]:
        """The rows of one query, `batch` at a time, through a server-side cursor (which needs a
        transaction: a savepoint when one is open), never all in memory at once."""
        async with self._raw.transaction():
            rows: list[Row] = []
            async for record in self._raw.cursor(sql, *args, prefetch=batch):
                rows.append(cast(Row, record))
                if len(rows) >= batch:
                    yield rows
                    rows = []
            if rows:
                yield rows

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        async with self._raw.transaction():
            yield
        self._commits += 1


async def _keep_session(raw: "asyncpg.Connection[asyncpg.Record]") -> None:
    """What a connection needs between two requests: nothing more than asyncpg always does on
    release (roll back a transaction left open, which also closes its cursors; drop listeners).

    asyncpg's default reset adds a round trip per request (`SELECT pg_advisory_unlock_all();
    CLOSE ALL; UNLISTEN *; RESET ALL`) for session state no request path leaves behind: no
    session-level SET (only SET LOCAL), LISTEN, advisory lock or cursor outside a transaction.
    """


class PostgresStorage:
    """A pool handed out in arrival order.

    asyncpg's pool gives a released connection to whichever task asks next, and a request that
    just arrived can take it before one that has waited (its queue lets callers barge in): with
    the reset round trip gone, that made a few requests wait seconds under load. A FIFO semaphore
    of the pool's size in front of it makes every request wait its turn; once past it, a
    connection is always free.
    """

    dialect: Dialect = "postgresql"

    def __init__(self, pool: asyncpg.Pool, size: int) -> None:
        self._pool = pool
        self._turns = asyncio.Semaphore(size)  # fair: newcomers queue behind waiters

    @classmethod
    async def open(cls, url: str, *, schema: str | None, pool_size: int) -> "PostgresStorage":
        server_settings = {"search_path": f"{schema},public"} if schema else None
        pool = await asyncpg.create_pool(
            url, min_size=1, max_size=pool_size, server_settings=server_settings, reset=_keep_session
        )
        return cls(pool, pool_size)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        await self._turns.acquire()
        try:
            raw = await self._pool.acquire()
        except BaseException:
            self._turns.release()
            raise
        conn = PgConnection(raw, self._pool, self._turns)
        try:
            yield conn
        finally:
            await conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self._turns, self._pool.acquire() as raw, raw.transaction():
            yield PgConnection(raw)

    def usage(self) -> tuple[int, int]:
        size = self._pool.get_size()
        return size - self._pool.get_idle_size(), size

    async def close(self) -> None:
        await self._pool.close()


def is_transient(error: BaseException) -> bool:
    """A deadlock or a serialization failure: PostgreSQL rolled the transaction back and the
    same work, tried again, will most likely go through."""
    return isinstance(error, asyncpg.exceptions.TransactionRollbackError)
