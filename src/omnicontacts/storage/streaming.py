"""Rows of a big query a batch at a time, whatever the connection.

PostgreSQL and SQLite connections stream through a cursor (`stream`); any other connection (a
test's wrapper, a recorder) answers its rows in one batch. This sits beside the `Connection`
protocol rather than in it, so wrappers written against the protocol keep working.
"""

import contextlib
from collections.abc import AsyncGenerator
from typing import Any

from omnicontacts.storage.base import Connection, Row

BATCH = 200


async def stream_rows(conn: Connection, sql: str, *args: Any, batch: int = BATCH) -> AsyncGenerator[list[Row], None]:
    """Closing this generator early (`contextlib.aclosing`) closes the cursor at once."""
    stream = getattr(conn, "stream", None)
    if stream is None:
        rows = await conn.fetch(sql, *args)
        if rows:
            yield rows
        return
    async with contextlib.aclosing(stream(sql, *args, batch=batch)) as batches:
        async for rows in batches:
            yield rows
