"""PostgreSQL through asyncpg: the raw driver, because request paths are measured against it."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

import asyncpg

from omnicontacts.storage.base import Connection, Dialect, Row


class PgConnection:
    dialect: Dialect = "postgresql"

    def __init__(
        self, raw: "asyncpg.Connection[asyncpg.Record] | asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"
    ) -> None:
        self._raw = raw

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
        async with self._pool.acquire() as raw:
            yield PgConnection(raw)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self._pool.acquire() as raw, raw.transaction():
            yield PgConnection(raw)

    def usage(self) -> tuple[int, int]:
        size = self._pool.get_size()
        return size - self._pool.get_idle_size(), size

    async def close(self) -> None:
        await self._pool.close()
