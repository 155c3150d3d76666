"""Fan-out: every worker on every host learns of every committed change, and of nothing else.

`record_change` is the publisher installed into `omnicontacts.changes`. It writes the change in
the writer's own transaction, so a rolled-back write is never announced:

- PostgreSQL: `pg_notify` on a channel named after the schema. PostgreSQL delivers it at commit,
  in commit order, to one listening connection per worker (outside the pool).
- SQLite: a row in `realtime_events`. Each worker reads rows past the last it saw: at once when
  the write was its own (woken when the writer's transaction commits), and every `POLL_SECONDS`
  for writes of other processes.

Payloads carry ids only (`{"c": topic, "i": ids}`); the receiving worker reads the rows. Events
that are not writes (typing) travel the same way with their arguments (`{"s", "e", "a", "o"}`).
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import asyncpg
import orjson

from omnicontacts.settings import Settings
from omnicontacts.storage import Connection, Storage

log = logging.getLogger("omnicontacts.realtime")

POLL_SECONDS = 0.25
# Events older than this are deleted from the SQLite table: every live worker has read them.
KEEP_SECONDS = 60.0
PRUNE_EVERY = 10.0
CHANNEL_PREFIX = "omni_changes_"
NOTIFY_SQL = "SELECT pg_notify($1 || current_schema(), $2)"
# Several notifications in one round trip, sent in the array's order.
NOTIFY_MANY_SQL = "SELECT count(pg_notify($1 || current_schema(), payload)) FROM unnest($2::text[]) AS payload"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
MAX_PAYLOAD = 7900

Deliver = Callable[[list[dict[str, Any]]], Awaitable[None]]
# Events waiting together are delivered together (one read for a burst of messages).
BATCH = 500

# Wake-ups for the SQLite readers of this process: (loop, event) pairs, set from any thread.
_sqlite_wakers: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []


def _wake_sqlite_readers() -> None:
    for loop, event in list(_sqlite_wakers):
        with contextlib.suppress(RuntimeError):  # that loop has closed
            loop.call_soon_threadsafe(event.set)


async def _record(conn: Connection, payload: bytes) -> None:
    if conn.dialect == "postgresql":
        await conn.execute(NOTIFY_SQL, CHANNEL_PREFIX, payload.decode())
        return
    await conn.execute(
        "INSERT INTO realtime_events (created_at, payload) VALUES ($1, $2)", time.time(), payload.decode()
    )
    # The readers of this process look at once, but only once the row is committed: woken
    # earlier, they would find nothing and wait for the next poll.
    after_commit = getattr(conn, "after_commit", None)
    if after_commit is not None:
        after_commit(_wake_sqlite_readers)
    else:
        _wake_sqlite_readers()


async def record_change(conn: Connection, topic: str, each: Sequence[Mapping[str, str]]) -> None:
    """The publisher for `omnicontacts.changes`: runs inside the writer's transaction, one
    statement for however many changes."""
    payloads = [orjson.dumps({"c": topic, "i": dict(ids)}) for ids in each]
    if len(payloads) == 1:
        await _record(conn, payloads[0])
    elif conn.dialect == "postgresql":
        await conn.fetchval(NOTIFY_MANY_SQL, CHANNEL_PREFIX, [payload.decode() for payload in payloads])
    elif payloads:
        now = time.time()
        await conn.executemany(
            "INSERT INTO realtime_events (created_at, payload) VALUES ($1, $2)",
            [(now, payload.decode()) for payload in payloads],
        )
        _wake_sqlite_readers()


def stream_payload(stream: str, event: str, args: list[Any], origin: str | None) -> bytes | None:
    payload = orjson.dumps({"s": stream, "e": event, "a": args, "o": origin})
    return payload if len(payload) <= MAX_PAYLOAD else None


class Fanout:
    """One worker's listener: hands every payload, in order, to `deliver`."""

    def __init__(self, settings: Settings, storage: Storage, deliver: Deliver) -> None:
        self._settings = settings
        self._storage = storage
        self._deliver = deliver
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._listener: asyncpg.Connection[Any] | None = None
        self._channel = CHANNEL_PREFIX + (settings.database_schema or "public")
        self._wake = asyncio.Event()
        self._last_id = 0
        self._closing = False

    async def start(self) -> None:
        if self._storage.dialect == "postgresql":
            await self._listen()
        else:
            async with self._storage.connection() as conn:
                self._last_id = int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM realtime_events"))
            _sqlite_wakers.append((asyncio.get_running_loop(), self._wake))
            self._tasks.append(asyncio.create_task(self._poll_sqlite()))
        self._tasks.append(asyncio.create_task(self._consume()))

    async def stop(self) -> None:
        self._closing = True
        for entry in list(_sqlite_wakers):
            if entry[1] is self._wake:
                _sqlite_wakers.remove(entry)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()

    async def broadcast(self, conn: Connection, stream: str, event: str, args: list[Any], origin: str | None) -> None:
        """An event that is not a write (typing): to every worker, this one included. `conn` is
        the caller's connection, outside any transaction, so the event leaves at once."""
        payload = stream_payload(stream, event, args, origin)
        if payload is not None:
            await _record(conn, payload)

    # --- PostgreSQL ------------------------------------------------------------------------------

    async def _listen(self) -> None:
        server_settings = (
            {"search_path": f"{self._settings.database_schema},public"} if self._settings.database_schema else None
        )
        listener: asyncpg.Connection[Any] = await asyncpg.connect(
            self._settings.database_url, server_settings=server_settings
        )
        await listener.add_listener(self._channel, self._on_notify)
        listener.add_termination_listener(self._on_lost)
        self._listener = listener

    def _on_notify(self, conn: Any, pid: int, channel: str, payload: object) -> None:
        self._queue.put_nowait(str(payload).encode())

    def _on_lost(self, conn: Any) -> None:
        if not self._closing:
            self._tasks.append(asyncio.create_task(self._relisten()))

    async def _relisten(self) -> None:
        delay = 0.1
        while not self._closing:
            try:
                await self._listen()
                log.warning("realtime: listening connection re-established")
                return
            except (OSError, asyncpg.PostgresError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    # --- SQLite ----------------------------------------------------------------------------------

    async def _poll_sqlite(self) -> None:
        last_prune = time.monotonic()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
            self._wake.clear()
            try:
                async with self._storage.connection() as conn:
                    rows = await conn.fetch(
                        "SELECT id, payload FROM realtime_events WHERE id > $1 ORDER BY id LIMIT 1000", self._last_id
                    )
                    if time.monotonic() - last_prune > PRUNE_EVERY:
                        last_prune = time.monotonic()
                        await conn.execute(
                            "DELETE FROM realtime_events WHERE created_at < $1", time.time() - KEEP_SECONDS
                        )
            except Exception:
                log.exception("realtime: reading realtime_events failed")
                await asyncio.sleep(POLL_SECONDS)
                continue
            for row in rows:
                self._last_id = int(row["id"])
                payload = row["payload"]
                self._queue.put_nowait(payload if isinstance(payload, bytes) else str(payload).encode())
            if len(rows) == 1000:
                self._wake.set()

    # --- delivery --------------------------------------------------------------------------------

    async def _consume(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._deliver([orjson.loads(payload) for payload in batch])
            except Exception:
                log.exception("realtime: delivering events failed")
