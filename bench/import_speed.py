"""Import speed as an operator meets it: `omnicontacts import FILE` run as its own process into a
fresh store, on a generated CSV of N contacts (id, name, two emails, a phone, a custom field).

    uv run python -m bench.import_speed --database-url postgresql://postgres@127.0.0.1:5432/oc_import \\
        --contacts 1000000 --runs 3
    uv run python -m bench.import_speed --database-url sqlite:////tmp/import-bench.db --contacts 100000

Each run: a fresh store (PostgreSQL: a new schema, dropped after; SQLite: a new file), the custom
field registered, then the CLI. Reported per run: contacts/s over the command's whole wall time
(start-up, load and index builds), the load and index-build seconds the import records, the CPU
seconds of the import process, its peak RSS (from wait4: the child's own), and the machine's
load average. Then, to prove every index is built and used: contacts.search for the name, an
email and the phone of one imported contact finds exactly it, and EXPLAIN of each search shows
no sequential scan of contacts.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from omnicontacts import jsonutil
from omnicontacts.bootstrap import prepare_database
from omnicontacts.contacts import repository as contacts_repository
from omnicontacts.customfields import service as customfields_service
from omnicontacts.settings import Settings
from omnicontacts.storage import open_storage

PLANS = ("gold", "silver", "bronze")


def write_file(path: Path, count: int) -> None:
    with path.open("w") as out:
        out.write("id,name,emails,phones,plan\n")
        for index in range(count):
            out.write(
                f"src-{index},Person{index:07d} Example,p{index}@example.com;person.{index}@mail.example.org,"
                f"+1 555 {index:07d},{PLANS[index % 3]}\n"
            )


async def _register_field(settings: Settings) -> None:
    storage = await open_storage(settings)
    try:
        async with storage.transaction() as conn:
            data = {"field": "plan", "label": "Plan", "scope": "visitor", "visibility": "public", "type": "input"}
            await customfields_service.save_custom_field(conn, None, data)
    finally:
        await storage.close()


class BackendClock:
    """CPU seconds of the PostgreSQL processes serving the import: every backend of the
    benchmark's database other than this one, sampled from /proc while the import runs (the
    database must be the benchmark's own)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.seconds: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.tick = os.sysconf("SC_CLK_TCK")

    def _watch(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            name = conn.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
            while not self.stop.wait(0.2):
                rows = conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,)
                ).fetchall()
                for (pid,) in rows:
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    self.seconds[pid] = (int(fields[11]) + int(fields[12])) / self.tick

    def __enter__(self) -> "BackendClock":
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


def _cli(settings: Settings, path: Path, command: list[str]) -> tuple[float, float, int, str]:
    """(wall seconds, CPU seconds, peak RSS in KB, output) of one `omnicontacts import`."""
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    if settings.database_schema:
        env["DATABASE_SCHEMA"] = settings.database_schema
    started = time.perf_counter()
    process = subprocess.Popen(
        [*command, "import", str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"import failed ({process.returncode}): {output}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, output


async def _check(settings: Settings, count: int) -> dict[str, Any]:
    """The job's own phase times, and the proof that search finds a contact through indexes."""
    storage = await open_storage(settings)
    try:
        async with storage.connection() as conn:
            job = jsonutil.loads(await conn.fetchval("SELECT doc FROM imports ORDER BY created_at DESC LIMIT 1"))
            assert job["counts"]["created"] == count, job
            probe = count // 2
            for term in (f"person{probe:07d}", f"p{probe}@example.com", f"555 {probe:07d}"):
                found = await contacts_repository.search_page(
                    conn, term=term, unknown=False, sort=None, offset=0, count=5
                )
                assert [doc["importIds"] for doc in found] == [[f"src-{probe}"]], (term, found)
                assert found[0]["customFields"] == {"plan": PLANS[probe % 3]}
                if conn.dialect == "postgresql":
                    where, args = contacts_repository._search_filter(conn.dialect, term, False)
                    plan = "\n".join(
                        row["QUERY PLAN"]
                        for row in await conn.fetch(f"EXPLAIN SELECT id FROM contacts WHERE {where}", *args)
                    )
                    assert "Seq Scan" not in plan, plan
            return job  # type: ignore[no-any-return]
    finally:
        await storage.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument(
        "--command",
        default=f"{sys.executable} -m omnicontacts",
        help="the omnicontacts command to time (another checkout's, for a before/after)",
    )
    args = parser.parse_args()
    command = args.command.split()
    work = Path(tempfile.mkdtemp(prefix="omnicontacts-import-bench-"))
    path = work / "contacts.csv"
    write_file(path, args.contacts)
    print(f"file: {args.contacts:,} contacts, {path.stat().st_size / 1e6:.1f} MB", flush=True)
    rates = []
    for run in range(args.runs):
        if args.database_url.startswith("sqlite"):
            settings = Settings(database_url=f"sqlite:///{work}/run{run}.db")
        else:
            settings = Settings(database_url=args.database_url, database_schema=f"imp_{uuid.uuid4().hex[:8]}")
        prepare_database(settings)
        asyncio.run(_register_field(settings))
        before = os.getloadavg()[0]
        if settings.is_postgres:
            with BackendClock(settings.database_url) as clock:
                wall, cpu, rss_kb, _ = _cli(settings, path, command)
            database_cpu = f", PostgreSQL CPU {clock.total:.1f}s"
        else:
            wall, cpu, rss_kb, _ = _cli(settings, path, command)
            database_cpu = ""
        after = os.getloadavg()[0]
        job = asyncio.run(_check(settings, args.contacts))
        rates.append(args.contacts / wall)
        print(
            f"run {run + 1}: {args.contacts / wall:,.0f} contacts/s ({wall:.1f}s wall: load {job.get('loadSeconds')}s, "
            f"index builds {job.get('indexSeconds', 0)}s{', bulk' if job.get('bulk') else ''}); "
            f"import process CPU {cpu:.1f}s{database_cpu}, peak RSS {rss_kb / 1024:.0f} MB; "
            f"load average {before:.1f} -> {after:.1f}",
            flush=True,
        )
        if settings.database_schema:
            from tests.support import drop_schema

            drop_schema(settings.database_url, settings.database_schema)
    print(f"median: {statistics.median(rates):,.0f} contacts/s over {args.runs} run(s); cpus {os.cpu_count()}")


if __name__ == "__main__":
    main()
