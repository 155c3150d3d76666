"""A first big import into a (nearly) empty store: on PostgreSQL it loads with its costliest
indexes dropped and builds them at its end (`portability.bulk`). Each test runs `omnicontacts
import` as a real process with the size threshold at zero, so a small file takes that path, and
asserts what an import must do on either path (merges with conflicts, rejected rows, re-runs,
resume after SIGKILL) and, on PostgreSQL, that every index is there again at the end."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.contacts.conversations import run
from tests.livechat.steps import create_contact, get_contact
from tests.portability.helpers import latest_job, search
from tests.support import Api, RunningServer

ROWS = 20000


def _cli(server: RunningServer, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": server.settings.database_url, "IMPORT_BULK_MIN_BYTES": "0"}
    if server.settings.database_schema:
        env["DATABASE_SCHEMA"] = server.settings.database_schema
    return subprocess.Popen(
        [sys.executable, "-m", "omnicontacts", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(server: RunningServer, *args: str) -> tuple[int, str]:
    process = _cli(server, *args)
    out, err = process.communicate(timeout=600)
    return process.returncode, out + err


def _job(server: RunningServer) -> dict[str, Any] | None:
    return latest_job(server)


def _indexes(server: RunningServer) -> set[str]:
    """The contact tables' indexes and foreign keys (PostgreSQL), or nothing (SQLite)."""
    if not server.settings.is_postgres:
        return set()

    async def read(conn: Any) -> set[str]:
        rows = await conn.fetch(
            "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename LIKE 'contact%' UNION ALL SELECT conname FROM pg_constraint "
            "WHERE connamespace = current_schema()::regnamespace AND contype = 'f' "
            "AND conrelid::regclass::text LIKE 'contact%'"
        )
        return {row["name"] for row in rows}

    return run(server, read)


# What the bulk path drops (every index the import's own look-ups do not need).
DROPPED = {
    "contacts_search_trgm",
    "contacts_name_order",
    "contacts_created_order",
    "contact_number_keys_pkey",
    "contact_import_ids_contact",
    "contact_emails_contact_id_fkey",
}


def test_a_bulk_import_merges_reports_and_builds_every_index(api: Api, server: RunningServer, tmp_path: Path) -> None:
    registered = create_contact(api, "Ann Lee", ["ann@example.com"], [])
    before = _indexes(server)
    path = tmp_path / "contacts.csv"
    # Two rows a batch: row 5 meets row 2's email one batch later, row 3 the registered contact.
    path.write_text(
        "id,name,emails,phones\n"  # 1
        "s-1,Bob Stone,bob@example.com,+1 555 0101\n"  # 2
        "s-2,Ann Smith,ann@example.com,+1 555 0102\n"  # 3
        "s-3,Bad Mail,not-an-email,\n"  # 4
        "s-4,Bobby Stone,bob@example.com;bobby@example.org,\n"  # 5
        "s-5,Cy Young,cy@example.com,+44 20 7946 0958\n"  # 6
    )

    code, output = _run(server, "import", str(path), "--batch-size", "2")

    assert code == 0, output
    assert "rows 5, created 2, updated 0, merged 2, unchanged 0, rejected 1" in output
    assert "line 4: bad email: not-an-email" in output
    job = _job(server)
    assert job is not None and job["status"] == "done"
    assert "indexesDropped" not in job
    assert job.get("bulk") is (True if server.settings.is_postgres else None)
    assert _indexes(server) == before
    if server.settings.is_postgres:
        assert before >= DROPPED
    ann = get_contact(api, registered)
    assert ann["name"] == "Ann Lee"
    assert ann["conflictingFields"] == [{"field": "name", "value": "Ann Smith"}]
    assert ann["phones"] == [{"phoneNumber": "+1 555 0102"}]
    assert ann["importIds"] == ["s-2"]
    (bob,) = search(api, "bob")
    assert bob["emails"] == [{"address": "bob@example.com"}, {"address": "bobby@example.org"}]
    assert bob["conflictingFields"] == [{"field": "name", "value": "Bobby Stone"}]
    assert bob["importIds"] == ["s-1", "s-4"]
    assert [contact["name"] for contact in search(api, "7946 0958")] == ["Cy Young"]
    assert [contact["name"] for contact in search(api, "cy@example")] == ["Cy Young"]

    # The same file again: every row finds its contact by id, none is created twice.
    code, output = _run(server, "import", str(path), "--batch-size", "2")

    assert code == 0, output
    assert "rows 5, created 0, " in output
    assert output.count("rejected 1") == 1
    assert sorted(contact["importIds"][0] for contact in search(api)) == ["s-1", "s-2", "s-5"]
    assert len(search(api)) == 3
    assert _indexes(server) == before


def _big_file(path: Path) -> None:
    with path.open("w") as out:
        out.write("id,name,emails,phones\n")
        for index in range(ROWS):
            out.write(f"s-{index},Person {index},p{index}@example.com;q{index}@example.org,+1 555 {index:07d}\n")


def _kill_midway(server: RunningServer, path: Path) -> dict[str, Any]:
    process = _cli(server, "import", str(path), "--batch-size", "500")
    deadline = time.monotonic() + 300
    while True:
        job = _job(server)
        if job is not None and job["nextLine"] > 0 and job["status"] == "running":
            break
        assert process.poll() is None, "the import finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    killed = _job(server)
    assert killed is not None and killed["status"] == "running"
    assert 0 < killed["counts"]["created"] < ROWS
    return killed


def _expected() -> list[tuple[Any, ...]]:
    return sorted(
        (
            (f"s-{index}",),
            f"Person {index}",
            (f"p{index}@example.com", f"q{index}@example.org"),
            (f"+1 555 {index:07d}",),
        )
        for index in range(ROWS)
    )


def _state(api: Api) -> list[tuple[Any, ...]]:
    return sorted(
        (
            tuple(contact.get("importIds") or []),
            contact["name"],
            tuple(item["address"] for item in contact["emails"]),
            tuple(item["phoneNumber"] for item in contact["phones"]),
        )
        for contact in search(api)
    )


def test_a_killed_bulk_import_resumes_and_builds_its_indexes(api: Api, server: RunningServer, tmp_path: Path) -> None:
    before = _indexes(server)
    path = tmp_path / "big.csv"
    _big_file(path)

    killed = _kill_midway(server, path)

    if server.settings.is_postgres:
        assert {item["name"] for item in killed["indexesDropped"]} >= DROPPED
        assert _indexes(server) == before - {item["name"] for item in killed["indexesDropped"]}
    # Whole batches only, and found without the search indexes (by scans) meanwhile.
    assert len(search(api)) == killed["counts"]["created"]
    assert [contact["name"] for contact in search(api, "p0@example.com")] == ["Person 0"]

    code, output = _run(server, "import", str(path), "--batch-size", "500")

    assert code == 0, output
    resumed = _job(server)
    assert resumed is not None and resumed["_id"] == killed["_id"]
    assert resumed["status"] == "done"
    assert resumed["counts"]["created"] == ROWS
    assert resumed["counts"]["rows"] == ROWS
    assert "indexesDropped" not in resumed
    assert _indexes(server) == before
    assert _state(api) == _expected()


def test_start_up_builds_the_indexes_a_killed_import_left_dropped(
    api: Api, server: RunningServer, tmp_path: Path
) -> None:
    before = _indexes(server)
    path = tmp_path / "big.csv"
    _big_file(path)
    killed = _kill_midway(server, path)

    # What `omnicontacts serve` runs before it listens.
    code, output = _run(server, "db", "upgrade")

    assert code == 0, output
    assert _indexes(server) == before
    after = _job(server)
    assert after is not None and after["_id"] == killed["_id"]
    assert "indexesDropped" not in after
    # The import run again resumes with every index live, and ends as a single run would.
    code, output = _run(server, "import", str(path), "--batch-size", "500")
    assert code == 0, output
    done = _job(server)
    assert done is not None and done["_id"] == killed["_id"] and done["status"] == "done"
    assert done["counts"]["created"] == ROWS
    assert _indexes(server) == before
    assert _state(api) == _expected()
