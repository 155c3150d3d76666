"""`omnicontacts import` as a real process: the dry run's report, and an import killed with
SIGKILL in the middle of the file that a second run completes to the same end state."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.portability.helpers import latest_job, search
from tests.support import Api, RunningServer

ROWS = 20000


def _cli(server: RunningServer, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": server.settings.database_url}
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


def _big_file(path: Path) -> None:
    with path.open("w") as out:
        out.write("id,name,emails,phones\n")
        for index in range(ROWS):
            out.write(f"s-{index},Person {index},p{index}@example.com;q{index}@example.org,+1 555 {index:07d}\n")


def _state(api: Api) -> list[tuple[Any, ...]]:
    contacts = search(api)
    return sorted(
        (
            tuple(contact.get("importIds") or []),
            contact["name"],
            tuple(item["address"] for item in contact["emails"]),
            tuple(item["phoneNumber"] for item in contact["phones"]),
        )
        for contact in contacts
    )


def _job(api: Api, server: RunningServer) -> dict[str, Any] | None:
    return latest_job(server)


def test_dry_run_reports_and_writes_nothing(api: Api, server: RunningServer, tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("name,emails\nAnn,ann@example.com\nBad,nope\nAnnie,ann@example.com\n")

    code, output = _run(server, "import", str(path), "--dry-run")

    assert code == 0, output
    assert "dry run: done" in output
    assert "rows 3, created 1, updated 0, merged 1, unchanged 0, rejected 1" in output
    assert "line 3: bad email: nope" in output
    assert search(api) == []
    assert _job(api, server) is None


def test_a_killed_import_resumes_to_the_same_end_state(api: Api, server: RunningServer, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    _big_file(path)
    process = _cli(server, "import", str(path))
    deadline = time.monotonic() + 300
    while True:
        job = _job(api, server)
        if job is not None and job["nextLine"] > 0 and job["status"] == "running":
            break
        assert process.poll() is None, "the import finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    killed = _job(api, server)
    assert killed is not None and killed["status"] == "running"
    assert killed["counts"]["created"] < ROWS
    # Whole batches only: every contact stored so far is complete and counted.
    assert len(search(api)) == killed["counts"]["created"]

    code, output = _run(server, "import", str(path))

    assert code == 0, output
    resumed = _job(api, server)
    assert resumed is not None
    assert resumed["_id"] == killed["_id"]
    assert resumed["status"] == "done"
    assert resumed["counts"]["created"] == ROWS
    assert resumed["counts"]["rows"] == ROWS
    expected = sorted(
        (
            (f"s-{index}",),
            f"Person {index}",
            (f"p{index}@example.com", f"q{index}@example.org"),
            (f"+1 555 {index:07d}",),
        )
        for index in range(ROWS)
    )
    assert _state(api) == expected

    # And a third run of the finished file changes nothing.
    code, output = _run(server, "import", str(path))
    assert code == 0, output
    assert f"rows {ROWS}, created 0, updated 0, merged 0, unchanged {ROWS}, rejected 0" in output
    assert _state(api) == expected


def test_export_command_writes_what_import_reads(api: Api, server: RunningServer, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("id,name,emails,phones\ns-1,Ann,ann@example.com,+1 555 0100\ns-2,Bob,,+1 555 0200\n")
    assert _run(server, "import", str(source))[0] == 0
    target = tmp_path / "out.jsonl"

    code, output = _run(server, "export", "--format", "jsonl", "-o", str(target), "--search", "ann")

    assert code == 0, output
    assert "exported 1 contacts" in output
    assert target.read_text() == (
        '{"id":"s-1","name":"Ann","emails":["ann@example.com"],"phones":["+1 555 0100"],"customFields":{}}\n'
    )
    code, output = _run(server, "export")
    assert code == 0
    # Contacts come in the order of their ids; the CSV goes to standard output, the bar to stderr.
    lines = output.splitlines()
    assert lines[0] == "id,name,emails,phones,manager"
    assert sorted(lines[1:3]) == ["s-1,Ann,ann@example.com,+1 555 0100,", "s-2,Bob,,+1 555 0200,"]
