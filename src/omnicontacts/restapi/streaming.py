"""Unlimited pages (`count=0`, allowed by `API_Allow_Infinite_Count` as in Rocket.Chat), sent
while they are read, so a worker's memory does not grow with the answer.

Rocket.Chat answers `count=0` with every match (MongoDB's `limit(0)`), and `API_Upper_Count_Limit`
only lowers counts above it; clients that ask for everything get everything. A handler that may
be asked for that returns a `StreamedList`: the name of the list, its items a batch at a time, and
the fields that follow the list (its total, known once every item was read). The body is the same
JSON, byte for byte, as the whole answer built in memory would be; it goes out in chunks.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson

from omnicontacts.storage import Connection, Storage


@dataclass(frozen=True)
class StreamedList:
    key: str
    # The items, a batch at a time, read on the connection given: documents, or JSON already
    # encoded (a stored document that goes out as stored, without a parse and a re-encode).
    items: Callable[[Connection], AsyncIterator[list[dict[str, Any] | bytes]]]
    # The fields after the list, given how many items went out (e.g. count, offset, total).
    tail: Callable[[Connection, int], Awaitable[dict[str, Any]]]


async def body(storage: Storage, streamed: StreamedList) -> AsyncIterator[bytes]:
    """`{"<key>":[items…],<tail fields>,"success":true}`, on a connection of its own (the
    request's went back to the pool once the handler answered)."""
    async with storage.connection() as conn:
        yield b'{"' + streamed.key.encode() + b'":['
        sent = 0
        async for batch in streamed.items(conn):
            if not batch:
                continue
            chunk = b",".join(item if isinstance(item, bytes) else orjson.dumps(item) for item in batch)
            yield chunk if not sent else b"," + chunk
            sent += len(batch)
        tail = await streamed.tail(conn, sent)
        yield b"]," + orjson.dumps({**tail, "success": True})[1:]
