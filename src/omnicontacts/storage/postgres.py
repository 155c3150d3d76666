"""PostgreSQL through asyncpg: the raw driver, because request paths are measured against it."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

import asyncpg

from omnicontacts.storage.base import Connection, Dialect, Row


class PgConnection:
    dialect: Dialect = "postgresql"

    def __init__(
        self,
        raw: "asyncpg.Connection[asyncpg.Record] | asyncpg.pool.PoolConnectionProxy[asyncpg.Record]",
        pool: asyncpg.Pool | None = None,
    ) -> None:
        self._raw = raw
        self._pool = pool
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
        await self._pool.release(self._raw)  # type: ignore[arg-type]
        self._held = False
        try:
            yield
        finally:
            self._raw = await self._pool.acquire()
            self._held = True

    async def close(self) -> None:
        """Hand the connection back to its pool (the storage's `connection()` does this)."""
        if self._pool is not None and self._held:
            self._held = False
            await self._pool.release(self._raw)  # type: ignore[arg-type]

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return cast(list[Row], await self._raw.fetch(sql, *args))

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        return cast(Row | None, await self._raw.fetchrow(sql, *args))

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await self._raw.fetchval(sql, *args)

    async def execute(self, sql: str, *args: Any) -> int:
        status: str = await self._raw.execute(sql, *args)
        # asyncpg answers e.g. "UPDATE 3" or "INSERT 0 1": the last word is the row count.
        last = status.rsplit(" ", 1)[-1]
        return int(last) if last.isdigit() else 0

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._raw.executemany(sql, rows)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        async with self._raw.transaction():
            yield
        self._commits += 1


class PostgresStorage:
    dialect: Dialect = "postgresql"

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    async def open(cls, url: str, *, schema: str | None, pool_size: int) -> "PostgresStorage":
        server_settings = {"search_path": f"{schema},public"} if schema else None
        pool = await asyncpg.create_pool(url, min_size=1, max_size=pool_size, server_settings=server_settings)
        return cls(pool)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        conn = PgConnection(await self._pool.acquire(), self._pool)
        try:
            yield conn
        finally:
            await conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self._pool.acquire() as raw, raw.transaction():
            yield PgConnection(raw)

    async def close(self) -> None:
        await self._pool.close()


def is_transient(error: BaseException) -> bool:
    """A deadlock or a serialization failure: PostgreSQL rolled the transaction back and the
    same work, tried again, will most likely go through."""
    return isinstance(error, asyncpg.exceptions.TransactionRollbackError)
