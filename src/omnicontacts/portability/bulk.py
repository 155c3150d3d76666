"""A first big import into an empty store, with the costliest indexes built once at the end.

Written row by row, every index of `contacts` (a trigram GIN over the search text and seven
b-trees) and the primary key of `contact_number_keys` (about fifteen keys per contact) cost an
import most of its time; built once over the loaded tables, with sorted bulk builds, they cost a
fraction of it. So on PostgreSQL, when the file is big and the store holds (nearly) no contacts,
the import drops those indexes, loads, and builds them again.

The rules that keep this safe:
- The indexes the import itself reads stay: the primary keys of `contacts`, `contact_emails`
  and `contact_phones`, the email and phone look-ups and `contact_import_ids`' key (matching by
  email, phone and id, and every uniqueness rule, work as always).
- The dropped indexes' definitions are written into the import's document in the same
  transaction that drops them: the database never lacks an index without saying which.
- One import at a time holds the bulk lock (a session advisory lock on a connection it keeps):
  a process killed mid-import loses its connection, so the lock is free exactly when nobody is
  still loading. Whoever takes the lock next (the server at start-up, any later import) builds
  every index an import left dropped before doing anything else; the same import run again
  (its resume) keeps loading without them and builds them at its end.
- Readers are never blocked: while the indexes are missing, searches and listings over the
  contacts loaded so far are answered by scans (correct, slower); the final builds take a
  SHARE lock, which lets reads through and holds writers to contacts until the build ends.
"""

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from omnicontacts.portability import repository
from omnicontacts.settings import Settings
from omnicontacts.storage import Connection, Storage
from omnicontacts.timeutil import now_iso

log = logging.getLogger("omnicontacts.import")

# pg_advisory_lock's keys for "an import is loading with indexes dropped": this constant ("bulk"
# in ASCII) and a hash of the schema, since advisory locks are per database and deployments may
# share one database in several schemas.
BULK_LOCK = 0x62756C6B
DROPPED = "indexesDropped"
# Memory for each index build (the server's default, 64 MB, makes the trigram build spill to disk).
BUILD_MEMORY = "512MB"
BUILDERS = 2


@dataclass(frozen=True)
class BulkPolicy:
    """When an import drops the indexes: a file of at least `min_bytes` into a store of at most
    `max_contacts` contacts (PostgreSQL only)."""

    min_bytes: int = 8_000_000
    max_contacts: int = 10_000


def policy(settings: Settings) -> BulkPolicy | None:
    if settings.import_bulk_min_bytes < 0:
        return None
    return BulkPolicy(settings.import_bulk_min_bytes, settings.import_bulk_max_contacts)


# What is dropped: every secondary index of contacts, contact_import_ids' index by contact,
# contact_number_keys' primary key, and the foreign keys from the email, phone and import id
# tables to contacts (a check per row while loading; one join when added back). Nothing deletes
# a contact row (erasure empties and disables it), so no cascade is missed meanwhile. Each is
# a name and the statement that builds it again.
_DROPPABLE_SQL = """
SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition, NULL AS table_name, NULL AS constraint_def
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
WHERE x.indrelid IN ('contacts'::regclass, 'contact_import_ids'::regclass) AND NOT x.indisunique
UNION ALL
SELECT k.conname, NULL, k.conrelid::regclass::text, pg_get_constraintdef(k.oid)
FROM pg_constraint k
WHERE (k.conrelid = 'contact_number_keys'::regclass AND k.contype = 'p')
   OR (k.confrelid = 'contacts'::regclass AND k.contype = 'f'
       AND k.conrelid IN ('contact_emails'::regclass, 'contact_phones'::regclass, 'contact_import_ids'::regclass))
ORDER BY 1
"""


async def _droppable(conn: Connection) -> list[dict[str, str]]:
    rows = await conn.fetch(_DROPPABLE_SQL)
    found: list[dict[str, str]] = []
    for row in rows:
        if row["definition"] is not None:
            found.append({"name": row["name"], "kind": "index", "build": row["definition"]})
        else:
            table = row["table_name"]
            build = f'ALTER TABLE {table} ADD CONSTRAINT "{row["name"]}" {row["constraint_def"]}'
            kind = "foreign key" if row["constraint_def"].startswith("FOREIGN KEY") else "constraint"
            found.append({"name": row["name"], "kind": kind, "table": table, "build": build})
    return found


async def _drop(conn: Connection, job: dict[str, Any]) -> None:
    """Drop the indexes and record them in the import's document, in one transaction."""
    async with conn.transaction():
        dropped = await _droppable(conn)
        for item in dropped:
            if item["kind"] != "index":
                await conn.execute(f'ALTER TABLE {item["table"]} DROP CONSTRAINT "{item["name"]}"')
            else:
                await conn.execute(f'DROP INDEX "{item["name"]}"')
        job[DROPPED] = dropped
        job["_updatedAt"] = now_iso()
        await repository.save_job(conn, job)


async def _exists(conn: Connection, item: dict[str, str]) -> bool:
    if item["kind"] == "foreign key":
        return bool(
            await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = $1 AND conrelid = $2::regclass)",
                item["name"],
                item["table"],
            )
        )
    return bool(await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f'"{item["name"]}"'))


async def _build_one(conn: Connection, item: dict[str, str]) -> None:
    if await _exists(conn, item):
        return  # built before a crash that came before the document said so
    started = time.monotonic()
    async with conn.transaction():
        await conn.execute(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
        await conn.execute(item["build"])
    log.info("built %s in %.1fs", item["name"], time.monotonic() - started)


async def build(storage: Storage, dropped: list[dict[str, str]]) -> None:
    """Build the dropped indexes again, BUILDERS at a time, the longest first (the trigram index,
    then the number keys); foreign keys last, each a join of its table with contacts."""

    def order(item: dict[str, str]) -> tuple[bool, bool, bool]:
        return item["kind"] == "foreign key", "trgm" not in item["build"], item["kind"] != "constraint"

    for group in (
        [item for item in dropped if item["kind"] != "foreign key"],
        [item for item in dropped if item["kind"] == "foreign key"],
    ):
        queue = sorted(group, key=order)

        async def builder(queue: list[dict[str, str]] = queue) -> None:
            async with storage.connection() as conn:
                while queue:
                    await _build_one(conn, queue.pop(0))

        await asyncio.gather(*(builder() for _ in range(BUILDERS)))
    # Fresh statistics for the planner (a sample per table, seconds at a million contacts).
    async with storage.connection() as conn:
        await conn.execute("ANALYZE contacts, contact_emails, contact_phones, contact_number_keys, contact_import_ids")


async def _clear(conn: Connection, job: dict[str, Any]) -> None:
    job.pop(DROPPED, None)
    job["_updatedAt"] = now_iso()
    await repository.save_job(conn, job)


async def _restore_others(storage: Storage, conn: Connection, keep: str | None) -> None:
    """Build the indexes of imports that stopped without building theirs (the lock is held)."""
    for job in await repository.jobs_with_dropped_indexes(conn):
        if job["_id"] == keep or not job.get(DROPPED):
            continue
        log.warning("import %s stopped with indexes dropped: building them", job["_id"])
        await build(storage, job[DROPPED])
        async with conn.transaction():
            stored = await repository.find_job(conn, job["_id"], for_update=True)
            if stored is not None:
                await _clear(conn, stored)


async def _try_lock(conn: Connection) -> bool:
    return bool(await conn.fetchval("SELECT pg_try_advisory_lock($1, hashtext(current_schema()))", BULK_LOCK))


async def _unlock(conn: Connection) -> None:
    # Pooled connections are handed back without a reset: the lock must be let go explicitly.
    await conn.execute("SELECT pg_advisory_unlock($1, hashtext(current_schema()))", BULK_LOCK)


async def restore_indexes(storage: Storage) -> None:
    """At start-up: build whatever indexes a killed import left dropped, unless an import that
    is still running holds them (it builds them at its end)."""
    if storage.dialect != "postgresql":
        return
    async with storage.connection() as conn:
        if not await _try_lock(conn):
            return
        try:
            await _restore_others(storage, conn, keep=None)
        finally:
            await _unlock(conn)


async def _eligible(conn: Connection, policy: BulkPolicy, file_size: int) -> bool:
    if file_size < policy.min_bytes:
        return False
    present = await conn.fetchval(
        "SELECT count(*) FROM (SELECT 1 FROM contacts LIMIT $1) AS present", policy.max_contacts + 1
    )
    return int(present) <= policy.max_contacts


@asynccontextmanager
async def session(
    storage: Storage, job: dict[str, Any], policy: BulkPolicy | None, file_size: int
) -> AsyncIterator[bool]:
    """Around a whole import: answers whether it loads with the indexes dropped (and then builds
    them before the block ends, whether the import ended well or not), after building any a
    killed import left dropped."""
    if storage.dialect != "postgresql":
        yield False
        return
    async with storage.connection() as conn:
        locked = await _try_lock(conn)
        try:
            bulk = False
            if locked:
                await _restore_others(storage, conn, keep=job["_id"])
                # A resumed import goes on as it started.
                bulk = bool(job.get(DROPPED))
                if not bulk and policy is not None and await _eligible(conn, policy, file_size):
                    await _drop(conn, job)
                    bulk = True
                if not bulk:
                    await _unlock(conn)
                    locked = False
            # Without the lock, another import is loading in bulk: this one loads with the
            # indexes as they are (whatever it dropped earlier is built by the next lock holder).
            try:
                yield bulk
            finally:
                if bulk:
                    started = time.monotonic()
                    await build(storage, job[DROPPED])
                    job["indexSeconds"] = round(time.monotonic() - started, 1)
                    await _clear(conn, job)
        finally:
            if locked:
                await _unlock(conn)
