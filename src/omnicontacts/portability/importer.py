"""Bulk import of contacts: a CSV or JSON Lines file, streamed, in batches.

Each batch is one transaction holding its contacts, its rejected rows and the import's progress,
so whatever stops the process (`kill -9` included), the database holds whole batches and knows
the line to go on from: running the same file again resumes there. A finished file run again
changes nothing: rows carrying an `id` find the contact imported under it (kept in `importIds`)
and update it; rows without one find their contact by email or phone.

Per row, in file order:
- an `id` already imported: the contact is updated, as omnichannel/contacts.update would;
- an email or phone some contact holds: the row is merged into it by the contact lifecycle's
  rules (new emails and phones added; on a known contact a different name is recorded as a
  conflict, an unknown contact takes it), with a `merged` event;
- otherwise a new contact, as POST omnichannel/contacts makes it. These are the bulk of a
  migration and are written many at once (COPY on PostgreSQL), with the same columns and index
  rows as one at a time.
"""

import asyncio
import contextlib
import hashlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnicontacts import changes, ids
from omnicontacts.contacts import lifecycle, service
from omnicontacts.contacts import repository as contacts_repository
from omnicontacts.contacts.events import record_contact_event
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.portability import bulk, repository
from omnicontacts.portability.reading import (
    ByteCounter,
    CsvRecord,
    JsonRecord,
    Rejected,
    csv_records,
    jsonl_records,
)
from omnicontacts.portability.rows import BadHeader, ImportRow, RowChecker, check_header, from_csv, from_json
from omnicontacts.restapi.errors import ApiError
from omnicontacts.storage import Connection, Storage
from omnicontacts.timeutil import now_iso

BATCH_SIZE = 5000
DEFAULT_BULK = bulk.BulkPolicy()
FORMATS = ("csv", "jsonl")
COUNTERS = ("rows", "created", "updated", "merged", "unchanged", "rejected")

Progress = Callable[[dict[str, Any]], None]


def guess_format(path: Path) -> str:
    return "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Outcome:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    rejections: list[tuple[int, str]] = field(default_factory=list)

    def reject(self, rejected: Rejected) -> None:
        self.counts["rejected"] += 1
        self.rejections.append((rejected.line, rejected.reason))


class _DryRun(Exception):
    """Raised at the end of a dry run to roll everything back."""


# --- one batch ---------------------------------------------------------------------------------


def _keys(row: ImportRow) -> list[str]:
    keys = [f"e:{address}" for address in row.emails] + [f"p:{phone}" for phone in row.phones]
    return keys + ([f"i:{row.import_id}"] if row.import_id else [])


async def _update_imported(conn: Connection, row: ImportRow, contact_id: str, outcome: Outcome) -> None:
    contact = await contacts_repository.find_doc(conn, contact_id, for_update=True)
    if contact is None or contact.get("enabled") is False:
        outcome.reject(Rejected(row.line, f"the contact imported with id {row.import_id} was erased"))
        return
    params: dict[str, Any] = {"contactId": contact_id}
    if row.name and row.name != contact.get("name"):
        params["name"] = row.name
    if row.emails and row.emails != [item.get("address") for item in contact.get("emails") or []]:
        params["emails"] = row.emails
    if row.phones and row.phones != [item.get("phoneNumber") for item in contact.get("phones") or []]:
        params["phones"] = row.phones
    stored = contact.get("customFields") or {}
    if any(stored.get(key) != value for key, value in row.custom_fields.items()):
        params["customFields"] = {**stored, **row.custom_fields}
    if row.manager and row.manager != contact.get("contactManager"):
        params["contactManager"] = row.manager
    if len(params) == 1:
        outcome.counts["unchanged"] += 1
        return
    try:
        await service.update_contact(conn, params)
    except ApiError as error:
        outcome.reject(Rejected(row.line, str(error.body().get("error"))))
        return
    outcome.counts["updated"] += 1


async def _merge(conn: Connection, row: ImportRow, contact_id: str, actor: dict[str, Any], outcome: Outcome) -> None:
    contact = await contacts_repository.find_doc(conn, contact_id, for_update=True)
    assert contact is not None  # found through its own email or phone rows, in this transaction
    incoming = lifecycle.Incoming(
        names=[row.name] if row.name else [],
        emails=row.emails,
        phones=row.phones,
        custom_fields=list(row.custom_fields.items()),
    )
    # As the lifecycle merges what a visitor tells: an unknown contact takes the values, a known
    # one keeps its own and records the differences as conflicts.
    merged = lifecycle.merge_into(contact, incoming, overwrite=bool(contact.get("unknown")))
    if row.manager and not contact.get("contactManager"):
        contact["contactManager"] = merged["contactManager"] = row.manager
    if row.import_id and row.import_id not in (contact.get("importIds") or []):
        contact["importIds"] = [*(contact.get("importIds") or []), row.import_id]
        merged["importIds"] = [row.import_id]
    if not merged:
        outcome.counts["unchanged"] += 1
        return
    contact["_updatedAt"] = now_iso()
    await contacts_repository.save_contact(conn, contact)
    await record_contact_event(conn, contact_id, "merged", actor=actor, changes=merged)
    outcome.counts["merged"] += 1


async def _existing_contact(conn: Connection, row: ImportRow) -> tuple[str, str] | None:
    """('imported' | 'match', contact id) for a row some stored contact answers to."""
    if row.import_id:
        found = await contacts_repository.contact_ids_by_import_ids(conn, [row.import_id])
        if row.import_id in found:
            return "imported", found[row.import_id]
    by_email = await contacts_repository.contact_ids_by_emails(conn, row.emails)
    by_phone = await contacts_repository.contact_ids_by_phones(conn, row.phones)
    for key in row.emails:
        if key in by_email:
            return "match", by_email[key]
    for key in row.phones:
        if key in by_phone:
            return "match", by_phone[key]
    return None


async def _new_doc(
    conn: Connection, row: ImportRow, contact_id: str | None = None, now: str | None = None
) -> dict[str, Any]:
    # Rocket.Chat's importer names a contact without a name as it names a new visitor.
    name = row.name or f"guest-{await livechat_repository.next_guest_number(conn)}"
    return service.new_contact_doc(
        name=name,
        emails=row.emails,
        phones=row.phones,
        custom_fields=row.custom_fields,
        contact_manager=row.manager,
        import_ids=[row.import_id] if row.import_id else None,
        contact_id=contact_id,
        now=now,
    )


async def process_batch(
    conn: Connection, checker: RowChecker, items: list[ImportRow | Rejected], actor: dict[str, Any]
) -> Outcome:
    """Import one batch inside the caller's transaction."""
    outcome = Outcome()
    rows: list[ImportRow] = []
    for item in items:
        outcome.counts["rows"] += 1
        if isinstance(item, Rejected):
            outcome.reject(item)
            continue
        rejected = await checker.check(conn, item)
        if rejected is not None:
            outcome.reject(rejected)
        else:
            rows.append(item)

    # Which rows touch a stored contact, asked for the whole batch at once.
    imported = await contacts_repository.contact_ids_by_import_ids(conn, [r.import_id for r in rows if r.import_id])
    emails = await contacts_repository.contact_ids_by_emails(conn, sorted({e for r in rows for e in r.emails}))
    phones = await contacts_repository.contact_ids_by_phones(conn, sorted({p for r in rows for p in r.phones}))
    claimed: set[str] = set()
    fresh: list[ImportRow] = []
    # A row that meets a stored contact, or shares a key with an earlier row of the batch, goes
    # one at a time after the new contacts are stored, in file order: as if every row had been
    # imported alone.
    later: list[ImportRow] = []
    for row in rows:
        keys = _keys(row)
        touches = (
            (row.import_id is not None and row.import_id in imported)
            or any(e in emails for e in row.emails)
            or any(p in phones for p in row.phones)
            or any(key in claimed for key in keys)
        )
        claimed.update(keys)
        (later if touches else fresh).append(row)

    now = now_iso()
    new_ids = ids.object_ids(len(fresh))
    docs = [await _new_doc(conn, row, contact_id, now) for row, contact_id in zip(fresh, new_ids, strict=True)]
    await contacts_repository.insert_contacts(conn, docs)
    outcome.counts["created"] += len(docs)

    for row in later:
        existing = await _existing_contact(conn, row)
        if existing is None:
            await contacts_repository.insert_contact(conn, await _new_doc(conn, row))
            outcome.counts["created"] += 1
        elif existing[0] == "imported":
            await _update_imported(conn, row, existing[1], outcome)
        else:
            await _merge(conn, row, existing[1], actor, outcome)
    return outcome


# --- a whole file ------------------------------------------------------------------------------


def _rows(path: Path, fmt: str, counter: ByteCounter) -> Iterator[ImportRow | Rejected]:
    """The file's rows in order (the CSV header is read here and not counted as a row)."""
    if fmt == "jsonl":
        for line in jsonl_records(counter):
            yield line if isinstance(line, Rejected) else from_json(line)
        return
    records = csv_records(counter)
    header = next(records, None)
    if header is None:
        raise BadHeader("the file is empty")
    if isinstance(header, Rejected):
        raise BadHeader(f"line 1: {header.reason}")
    columns = check_header(header.fields)
    for record in records:
        yield record if isinstance(record, Rejected) else from_csv(columns, record)


Batch = tuple[list[ImportRow | Rejected], int]


def _batches(
    path: Path, fmt: str, counter: ByteCounter, checker: RowChecker, first_line: int, batch_size: int
) -> Iterator[Batch]:
    """The file's rows from `first_line` on, in batches with the bytes read so far, each row
    through the checks that need no database."""
    batch: list[ImportRow | Rejected] = []
    for item in _rows(path, fmt, counter):
        if item.line < first_line:
            continue
        if isinstance(item, ImportRow):
            item = checker.check_offline(item) or item
        batch.append(item)
        if len(batch) >= batch_size:
            yield batch, counter.bytes_read
            batch = []
    if batch:
        yield batch, counter.bytes_read


async def _read_ahead(batches: Iterator[Batch], ahead: bool) -> AsyncIterator[Batch]:
    """The batches, the next one read and checked by a thread while the caller writes the
    current one (the event loop waits on PostgreSQL meanwhile, so the two overlap). Memory
    holds two batches at most. Not on SQLite: its writes run in this process, and a reading
    thread would only make each batch hold the write lock longer."""
    if not ahead:
        for each in batches:
            yield each
        return
    loop = asyncio.get_running_loop()
    pending = loop.run_in_executor(None, next, batches, None)
    try:
        while (batch := await pending) is not None:
            pending = loop.run_in_executor(None, next, batches, None)
            yield batch
    finally:
        # Stopped early: let the thread finish before the file is closed under it.
        with contextlib.suppress(Exception):
            await pending


def _line(item: ImportRow | Rejected | CsvRecord | JsonRecord) -> int:
    return item.line


def new_job(*, fmt: str, sha256: str, size: int, file_name: str, user: dict[str, Any] | None) -> dict[str, Any]:
    now = now_iso()
    job: dict[str, Any] = {
        "_id": ids.meteor_id(),
        "status": "queued",
        "format": fmt,
        "fileName": file_name,
        "fileSha256": sha256,
        "fileSize": size,
        "bytesRead": 0,
        "nextLine": 0,
        "counts": dict.fromkeys(COUNTERS, 0),
        "createdAt": now,
        "_updatedAt": now,
    }
    if user is not None:
        job["startedBy"] = user
    return job


async def _job_for(
    storage: Storage, path: Path, fmt: str, job_id: str | None, user: dict[str, Any] | None
) -> dict[str, Any]:
    async with storage.transaction() as conn:
        job = await repository.find_job(conn, job_id, for_update=True) if job_id else None
        if job is None:
            sha256 = file_sha256(path)
            job = await repository.unfinished_job_for_file(conn, sha256)
            if job is None:
                job = new_job(fmt=fmt, sha256=sha256, size=path.stat().st_size, file_name=path.name, user=user)
                await repository.insert_job(conn, job)
        if not job["fileSha256"]:
            # A REST upload: its file is known only now.
            job["fileSha256"], job["fileSize"] = file_sha256(path), path.stat().st_size
        job["status"] = "running"
        job["_updatedAt"] = now_iso()
        await repository.save_job(conn, job)
    return job


async def run_import(
    storage: Storage,
    path: Path,
    *,
    fmt: str | None = None,
    job_id: str | None = None,
    user: dict[str, Any] | None = None,
    batch_size: int = BATCH_SIZE,
    bulk_policy: bulk.BulkPolicy | None = DEFAULT_BULK,
    on_progress: Progress | None = None,
) -> dict[str, Any]:
    """Import (or resume importing) a file; answers the finished import's document.

    `bulk_policy` says when a big first import may drop the costliest indexes and build them at
    its end (`portability.bulk`); None keeps every index live."""
    fmt = fmt or guess_format(path)
    job = await _job_for(storage, path, fmt, job_id, user)
    actor = {"type": "import", "_id": job["_id"], **({"user": user} if user else {})}
    async with storage.connection() as conn:
        checker = await RowChecker.load(conn)
    started = time.monotonic()
    async with bulk.session(storage, job, bulk_policy, job["fileSize"]) as bulk_load:
        if bulk_load:
            job["bulk"] = True
        with path.open("rb") as stream:
            batches = _batches(path, fmt, ByteCounter(stream), checker, job["nextLine"], batch_size)
            try:
                async for batch, bytes_read in _read_ahead(batches, storage.dialect == "postgresql"):
                    await _commit_batch(storage, job, checker, batch, actor, bytes_read, on_progress)
            except BadHeader as error:
                job["status"], job["error"] = "failed", str(error)
            else:
                job["status"] = "done"
                job["bytesRead"] = job["fileSize"]
        job["loadSeconds"] = round(time.monotonic() - started, 1)
    job["_updatedAt"] = now_iso()
    async with storage.transaction() as conn:
        await repository.save_job(conn, job)
        await changes.publish(conn, "import", _id=job["_id"])
    if on_progress:
        on_progress(job)
    return job


async def _commit_batch(
    storage: Storage,
    job: dict[str, Any],
    checker: RowChecker,
    batch: list[ImportRow | Rejected],
    actor: dict[str, Any],
    bytes_read: int,
    on_progress: Progress | None,
) -> None:
    async with storage.transaction() as conn:
        await _relaxed_commit(conn)
        outcome = await process_batch(conn, checker, batch, actor)
        await repository.add_rejections(conn, job["_id"], outcome.rejections)
        for key, value in outcome.counts.items():
            job["counts"][key] += value
        job["nextLine"] = _line(batch[-1]) + 1
        job["bytesRead"] = bytes_read
        job["_updatedAt"] = now_iso()
        await repository.save_job(conn, job)
        await changes.publish(conn, "import", _id=job["_id"])
    if on_progress:
        on_progress(job)


async def _relaxed_commit(conn: Connection) -> None:
    """A batch's commit need not wait for its WAL to reach the disk: a server crash can lose the
    last batches, but their progress (`nextLine`) is lost with them, in the same transaction, so
    the import resumes before them. Never a half batch, only a shorter run to resume."""
    if conn.dialect == "postgresql":
        await conn.execute("SET LOCAL synchronous_commit = off")


async def dry_run(
    storage: Storage,
    path: Path,
    *,
    fmt: str | None = None,
    batch_size: int = BATCH_SIZE,
    on_progress: Progress | None = None,
) -> dict[str, Any]:
    """The report an import would give, with nothing written: the whole file runs in one
    transaction that is rolled back (so later rows see the contacts earlier rows would make)."""
    fmt = fmt or guess_format(path)
    report: dict[str, Any] = {
        "status": "done",
        "format": fmt,
        "fileSize": path.stat().st_size,
        "bytesRead": 0,
        "counts": dict.fromkeys(COUNTERS, 0),
        "rejections": [],
    }
    actor = {"type": "import", "_id": "dry-run"}
    async with storage.connection() as conn:
        checker = await RowChecker.load(conn)
        try:
            async with conn.transaction():
                with path.open("rb") as stream:
                    counter = ByteCounter(stream)
                    batch: list[ImportRow | Rejected] = []
                    try:
                        for item in _rows(path, fmt, counter):
                            batch.append(item)
                            if len(batch) >= batch_size:
                                _add(report, await process_batch(conn, checker, batch, actor), counter, on_progress)
                                batch = []
                        if batch:
                            _add(report, await process_batch(conn, checker, batch, actor), counter, on_progress)
                    except BadHeader as error:
                        report["status"], report["error"] = "failed", str(error)
                raise _DryRun
        except _DryRun:
            pass
    return report


def _add(report: dict[str, Any], outcome: Outcome, counter: ByteCounter, on_progress: Progress | None) -> None:
    for key, value in outcome.counts.items():
        report["counts"][key] += value
    report["rejections"] += [{"line": line, "reason": reason} for line, reason in outcome.rejections]
    report["bytesRead"] = counter.bytes_read
    if on_progress:
        on_progress(report)
