"""Import and export throughput: a file of N contacts (two emails and a phone each) imported
through `portability.importer.run_import` (what `omnicontacts import` runs), then exported as
CSV, then checked: every contact stored once and contacts.search finding one by a name fragment,
an email and a phone number through its indexes.

    uv run python -m bench.portability --database-url postgresql://.../bench --contacts 1000000
    uv run python -m bench.portability --database-url sqlite:////tmp/bench.db --contacts 100000 --runs 3

Each run starts from an empty schema (PostgreSQL: a fresh one, dropped after; SQLite: a fresh
file). Prints rows/s per run, the median, and the process's peak RSS (memory must not follow the
file size: the file is streamed).
"""

import argparse
import asyncio
import os
import resource
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from omnicontacts.bootstrap import prepare_database
from omnicontacts.contacts import repository as contacts_repository
from omnicontacts.portability import exporter, importer
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage


def write_file(path: Path, count: int) -> None:
    with path.open("w") as out:
        out.write("id,name,emails,phones\n")
        for index in range(count):
            out.write(
                f"src-{index},Person{index:07d} Example,p{index}@example.com;person.{index}@mail.example.org,"
                f"+1 555 {index:07d}\n"
            )


async def one_run(settings: Settings, path: Path, count: int) -> tuple[float, float]:
    storage = await open_storage(settings)
    try:
        started = time.perf_counter()
        job = await importer.run_import(storage, path, fmt="csv")
        imported = time.perf_counter() - started
        assert job["counts"]["created"] == count, job
        started = time.perf_counter()
        exported = 0
        async for _, rows in exporter.chunks(storage, fmt="csv", search=None, unknown=None):
            exported += rows
        export_seconds = time.perf_counter() - started
        assert exported == count
        async with storage.connection() as conn:
            probe = count // 2
            for term in (f"person{probe:07d}", f"p{probe}@example.com", f"555 {probe:07d}"):
                found = await contacts_repository.search_page(
                    conn, term=term, unknown=False, sort=None, offset=0, count=5
                )
                assert [doc["importIds"] for doc in found] == [[f"src-{probe}"]], (term, found)
        return count / imported, count / export_seconds
    finally:
        await storage.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="omnicontacts-bench-"))
    path = work / "contacts.csv"
    write_file(path, args.contacts)
    print(f"file: {args.contacts} contacts, {path.stat().st_size / 1e6:.1f} MB")
    imports, exports = [], []
    for run in range(args.runs):
        if args.database_url.startswith("sqlite"):
            settings = Settings(database_url=f"sqlite:///{work}/run{run}.db")
        else:
            settings = Settings(database_url=args.database_url, database_schema=f"bench_{uuid.uuid4().hex[:8]}")
        prepare_database(settings)
        rate_in, rate_out = asyncio.run(one_run(settings, path, args.contacts))
        imports.append(rate_in)
        exports.append(rate_out)
        print(f"run {run + 1}: import {rate_in:,.0f} contacts/s, export {rate_out:,.0f} contacts/s", flush=True)
        if settings.database_schema:
            from tests.support import drop_schema

            drop_schema(settings.database_url, settings.database_schema)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"median: import {statistics.median(imports):,.0f} contacts/s, export {statistics.median(exports):,.0f} "
        f"contacts/s; peak RSS {peak_mb:.0f} MB; cpus {os.cpu_count()}"
    )


if __name__ == "__main__":
    main()
