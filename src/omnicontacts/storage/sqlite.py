"""The embedded SQLite default, off the event loop.

No SQLite call runs on the event loop: a query that takes long (a listing of every contact, a
deep offset) would stop every other request of the worker while it runs. Instead:

- **readers**: a few read-only connections, each used by one thread at a time. A request's reads
  (`SELECT`/`WITH` through `fetch*`) go to whichever reader is free, in a thread, so other
  requests keep being served while one reads a lot. WAL mode lets them read while the writer
  writes; each statement sees the last committed state.
- **the writer**: one connection, used only from its own thread, handed to one request at a time
  by an asyncio lock. A request takes it on its first write (`execute`, `executemany`, a
  `transaction()`, a write through `fetch*`) and keeps it until it ends, so it reads its own
  writes and a transaction's reads see the rows it locked (`BEGIN IMMEDIATE`).

A `:memory:` database has no readers (another connection would be another database): there
everything goes through the writer, still off the loop.
"""

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any, TypeVar, cast

from omnicontacts.storage.base import Connection, Dialect, Row, is_read

_PLACEHOLDER = re.compile(r"\$(\d+)")
T = TypeVar("T")

# Read-only connections per worker: enough for the two cores, few enough that their page caches
# stay small.
READERS = 4

# How long a statement waits for a lock another process holds (the other workers, a CLI import or
# demo beside the server) before SQLite gives up with "database is locked"; the request layer
# then runs the request again (`is_transient`).
BUSY_TIMEOUT_MS = 10_000


@lru_cache(maxsize=2048)
def to_sqlite_sql(sql: str) -> str:
    """Rewrite `$1` placeholders to SQLite's `?1`; the SQL text is ours, never user input."""
    return _PLACEHOLDER.sub(r"?\1", sql)


def connect_sqlite(path: str, *, read_only: bool = False) -> sqlite3.Connection:
    raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    raw.row_factory = sqlite3.Row
    if read_only:
        raw.execute("PRAGMA query_only=1")
    else:
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=NORMAL")
    raw.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_MS)}")
    raw.execute("PRAGMA foreign_keys=ON")
    return raw


def is_transient(error: BaseException) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED (and their extended codes): another connection held the lock
    past the busy timeout, or a snapshot went stale. Nothing of the statement was written, and
    the same transaction, run again, will most likely go through."""
    return isinstance(error, sqlite3.OperationalError) and (
        (getattr(error, "sqlite_errorcode", 0) & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    )


def sqlite_path(url: str) -> str:
    """`sqlite:///relative.db`, `sqlite:////abs/path.db` or `sqlite:///:memory:` to a path."""
    return url.split("sqlite:///", 1)[1]


def _fetchall(raw: sqlite3.Connection, sql: str, args: Sequence[Any]) -> list[Row]:
    return cast(list[Row], raw.execute(sql, args).fetchall())


def _fetchone(raw: sqlite3.Connection, sql: str, args: Sequence[Any]) -> Row | None:
    return cast(Row | None, raw.execute(sql, args).fetchone())


def _rowcount(raw: sqlite3.Connection, sql: str, args: Sequence[Any]) -> int:
    return raw.execute(sql, args).rowcount


class _Readers:
    """Read-only connections, each lent to one statement (or one stream) at a time."""

    def __init__(self, connections: list[sqlite3.Connection]) -> None:
        self._all = connections
        self._idle: asyncio.Queue[sqlite3.Connection] = asyncio.Queue()
        for raw in connections:
            self._idle.put_nowait(raw)
        self._threads = ThreadPoolExecutor(max(len(connections), 1), thread_name_prefix="sqlite-read")

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        raw = await self._idle.get()
        try:
            return await asyncio.get_running_loop().run_in_executor(self._threads, work, raw)
        finally:
            self._idle.put_nowait(raw)

    async def checkout(self) -> sqlite3.Connection:
        return await self._idle.get()

    def checkin(self, raw: sqlite3.Connection) -> None:
        self._idle.put_nowait(raw)

    def usage(self) -> tuple[int, int]:
        return len(self._all) - self._idle.qsize(), len(self._all)

    async def in_thread(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._threads, work)

    def close(self) -> None:
        self._threads.shutdown(wait=True)
        for raw in self._all:
            raw.close()


class SqliteConnection:
    """One request's connection: reads on a reader until the request first writes, then
    everything on the writer, which it holds until the request ends."""

    dialect: Dialect = "sqlite"

    def __init__(self, storage: "SqliteStorage") -> None:
        self._storage = storage
        self._writing = False
        self._in_transaction = False
        self._commits = 0
        self._after_commit: list[Callable[[], None]] = []

    @property
    def commits(self) -> int:
        return self._commits

    @asynccontextmanager
    async def released(self) -> AsyncIterator[None]:
        """Give the writer up while slow work that needs no database runs (password hashing);
        the next write of this request takes it again."""
        if self._in_transaction:
            raise RuntimeError("released() inside a transaction")
        self.release()
        yield

    async def _on_writer(self, work: Callable[[sqlite3.Connection], T]) -> T:
        storage = self._storage
        if not self._writing:
            await storage.lock.acquire()
            self._writing = True
        return await asyncio.get_running_loop().run_in_executor(storage.writer_thread, work, storage.writer)

    async def _run(self, sql: str, work: Callable[[sqlite3.Connection], T]) -> T:
        readers = self._storage.readers
        if not is_read(sql):
            return await self._write(work)
        if readers is None or self._writing:
            return await self._on_writer(work)
        return await readers.run(work)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once what was just written is committed: at once outside a
        transaction (the statement committed itself), after COMMIT inside one, never when it
        rolls back. Readers in other threads or processes can see the rows from then on."""
        if self._in_transaction:
            self._after_commit.append(callback)
        else:
            callback()

    async def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        result = await self._on_writer(work)
        if not self._in_transaction:
            self._commits += 1  # a statement outside a transaction commits on its own
        return result

    def release(self) -> None:
        if self._writing:
            self._writing = False
            self._storage.lock.release()

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        text = to_sqlite_sql(sql)
        return await self._run(sql, lambda raw: _fetchall(raw, text, args))

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        text = to_sqlite_sql(sql)
        return await self._run(sql, lambda raw: _fetchone(raw, text, args))

    async def fetchval(self, sql: str, *args: Any) -> Any:
        text = to_sqlite_sql(sql)
        row = await self._run(sql, lambda raw: raw.execute(text, args).fetchone())
        return None if row is None else row[0]

    async def execute(self, sql: str, *args: Any) -> int:
        text = to_sqlite_sql(sql)
        return await self._write(lambda raw: _rowcount(raw, text, args))

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        text = to_sqlite_sql(sql)
        await self._write(lambda raw: raw.executemany(text, rows))

    async def copy_records(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        # `table` and `columns` are our own names, never input.
        marks = ", ".join("?" for _ in columns)
        text = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        await self._write(lambda raw: raw.executemany(text, rows))

    async def stream(self, sql: str, *args: Any, batch: int = 200) -> AsyncIterator[list[Row]]:
        """The rows of one query, `batch` at a time, from one reader (or the writer, when this
        request holds it), never all in memory at once."""
        text = to_sqlite_sql(sql)
        readers = self._storage.readers
        if readers is None or self._writing or not is_read(sql):
            pending = await self._on_writer(lambda raw: raw.execute(text, args))
            try:
                while rows := await self._on_writer(lambda _: pending.fetchmany(batch)):
                    yield cast(list[Row], rows)
            finally:  # a reader that stops early must not leave the statement open on the writer
                await self._on_writer(lambda _: pending.close())
            return
        raw = await readers.checkout()
        cursor: sqlite3.Cursor | None = None
        try:
            cursor = opened = await readers.in_thread(lambda: raw.execute(text, args))
            while rows := await readers.in_thread(lambda: opened.fetchmany(batch)):
                yield cast(list[Row], rows)
        finally:
            if cursor is not None:
                await readers.in_thread(cursor.close)
            readers.checkin(raw)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        # IMMEDIATE takes the write lock up front: two read-modify-write transactions
        # can never both read the old row and lose one another's change.
        await self._on_writer(lambda raw: raw.execute("BEGIN IMMEDIATE"))
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._after_commit.clear()
            await asyncio.shield(self._on_writer(lambda raw: raw.execute("ROLLBACK")))
            raise
        finally:
            self._in_transaction = False
        try:
            await self._on_writer(lambda raw: raw.execute("COMMIT"))
        except BaseException:
            self._after_commit.clear()
            raise
        self._commits += 1
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()


class SqliteStorage:
    dialect: Dialect = "sqlite"

    def __init__(self, writer: sqlite3.Connection, readers: "_Readers | None") -> None:
        self.writer = writer
        self.readers = readers
        self.lock = asyncio.Lock()
        self.writer_thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-write")

    @classmethod
    async def open(cls, url: str, *, readers: int = READERS) -> "SqliteStorage":
        path = sqlite_path(url)
        writer = connect_sqlite(path)
        in_memory = path in ("", ":memory:") or path.startswith("file::memory:")
        if in_memory or readers <= 0:
            return cls(writer, None)
        return cls(writer, _Readers([connect_sqlite(path, read_only=True) for _ in range(readers)]))

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        conn = SqliteConnection(self)
        try:
            yield conn
        finally:
            conn.release()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self.connection() as conn, conn.transaction():
            yield conn

    def usage(self) -> tuple[int, int]:
        """The writer (held or not) and the readers."""
        used, size = self.readers.usage() if self.readers is not None else (0, 0)
        return used + (1 if self.lock.locked() else 0), size + 1

    async def close(self) -> None:
        if self.readers is not None:
            self.readers.close()
        self.writer_thread.shutdown(wait=True)
        self.writer.close()
