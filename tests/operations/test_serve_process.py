"""`omnicontacts serve` as a process: its log lines, request ids, metrics across two workers, and
what happens when the main process or a worker is killed outright."""

import os
import re
import secrets
import signal
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import orjson
import pytest

from omnicontacts.observability.routes import code_revision
from omnicontacts.storage.sqlite import READERS
from tests.operations.processes import alive, children, environment, free_port, port_free, serving
from tests.support import POSTGRES_URL_VARIABLE, backends, drop_schema

HEAD = code_revision()  # the newest migration: what a fresh database ends at


def _database(backend: str, tmp_path: Path) -> tuple[dict[str, str], str | None]:
    if backend == "sqlite":
        return {"DATABASE_URL": f"sqlite:///{tmp_path / 'omni.db'}"}, None
    schema = f"omni_proc_{os.getpid()}_{secrets.token_hex(3)}"
    return {"DATABASE_URL": os.environ[POSTGRES_URL_VARIABLE], "DATABASE_SCHEMA": schema}, schema


def _json_lines(text: str) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_log_lines_banner_admin_and_request_ids(tmp_path: Path) -> None:
    port = free_port()
    env = environment(
        DATABASE_URL=f"sqlite:///{tmp_path / 'omni.db'}",
        ADMIN_USERNAME="admin",
        ADMIN_PASS="change-me",
        LOG_FORMAT="json",
        ACCESS_LOG="true",
    )
    with serving([], env, tmp_path, port) as process:
        given = httpx.get(f"http://127.0.0.1:{port}/api/info", headers={"X-Request-Id": "trace-42"})
        made = httpx.get(f"http://127.0.0.1:{port}/api/v1/me")
        unsafe = httpx.get(f"http://127.0.0.1:{port}/api/info", headers={"X-Request-Id": "bad id\twith spaces"})
        process.terminate()
        _, stderr = process.communicate(timeout=20)

    assert given.headers["x-request-id"] == "trace-42"
    assert re.fullmatch(r"[0-9a-f]{16}[0-9]+", made.headers["x-request-id"])
    assert re.fullmatch(r"[0-9a-f]{16}[0-9]+", unsafe.headers["x-request-id"])
    lines = _json_lines(stderr)
    assert all({"time", "level", "logger", "request_id", "message"} <= line.keys() for line in lines)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", str(line["time"])) for line in lines)
    messages = [str(line["message"]) for line in lines]
    assert "created admin user admin (from ADMIN_USERNAME and ADMIN_PASS)" in messages
    assert any(re.match(rf"Running upgrade \S+ -> {HEAD}\b", message) for message in messages)
    banner = next(message for message in messages if message.startswith("omnicontacts 0.1.0: "))
    assert banner == (
        f"omnicontacts 0.1.0: database sqlite:///{tmp_path / 'omni.db'} (schema revision {HEAD}), 1 worker, "
        f"listening on http://127.0.0.1:{port}, http://[::1]:{port}"
    )
    access = [line for line in lines if line["logger"] == "omnicontacts.access"][-3:]  # after the readiness polls
    assert [line["request_id"] for line in access] == [
        "trace-42",
        made.headers["x-request-id"],
        unsafe.headers["x-request-id"],
    ]
    assert str(access[0]["message"]).startswith('127.0.0.1 "GET /api/info" 200 ')
    assert str(access[1]["message"]).startswith('127.0.0.1 "GET /api/v1/me" 401 ')

    # A second start: the admin variables are ignored, and the log says why.
    with serving([], env | {"LOG_FORMAT": "text"}, tmp_path, port) as process:
        process.terminate()
        _, stderr = process.communicate(timeout=20)
    assert re.search(
        r"^\S+Z INFO +omnicontacts \[-\] ADMIN_USERNAME/ADMIN_PASS ignored: the database already has an "
        r"administrator \(admin not created\)$",
        stderr,
        re.MULTILINE,
    ), stderr


def test_banner_masks_the_database_password(tmp_path: Path) -> None:
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if url is None:  # the SQLite run: there is no password to mask, check the plain form instead
        env = environment(DATABASE_URL=f"sqlite:///{tmp_path / 'omni.db'}")
        expected = f"database sqlite:///{tmp_path / 'omni.db'} (schema revision {HEAD})"
        schema = None
    else:
        parts = url.split("://", 1)[1]
        user, rest = parts.split("@", 1)
        schema = f"omni_mask_{os.getpid()}_{secrets.token_hex(3)}"
        env = environment(DATABASE_URL=f"postgresql://{user}:s3cret-pw@{rest}", DATABASE_SCHEMA=schema)
        expected = f"database postgresql://{user}:***@{rest} schema {schema} (schema revision {HEAD})"
    port = free_port()
    try:
        with serving([], env, tmp_path, port) as process:
            process.terminate()
            _, stderr = process.communicate(timeout=20)
    finally:
        if url and schema:
            drop_schema(url, schema)
    assert expected in stderr
    assert "s3cret-pw" not in stderr


def _metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} ") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name}{{{wanted}}} not in the metrics")


def test_metrics_add_up_across_two_workers(tmp_path: Path) -> None:
    port = free_port()
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = environment(DATABASE_URL=f"sqlite:///{tmp_path / 'omni.db'}", PROMETHEUS_MULTIPROC_DIR=str(shared))
    with serving(["--workers", "2"], env, tmp_path, port) as process:
        workers = children(process.pid)
        sent = 0
        # New connections land on either worker; go on until both have counted some.
        while sent < 400:
            for _ in range(20):
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/me")
                assert response.status_code == 401
                sent += 1
            time.sleep(1.2)  # each worker hands its counts over once a second
            workers |= children(process.pid)
            writers = {int(name.stem.split("_")[-1]) for name in shared.glob("counter_*.db")}
            if len(writers & workers) == 2:
                break
        assert len(writers & workers) == 2, (writers, workers)
        time.sleep(1.2)
        text = httpx.get(f"http://127.0.0.1:{port}/metrics").text

    assert _metric(text, "omnicontacts_http_requests_total", endpoint="/api/v1/me", method="GET", status="401") == sent
    assert (
        _metric(text, "omnicontacts_http_request_duration_seconds_count", endpoint="/api/v1/me", method="GET") == sent
    )
    assert (
        _metric(
            text, "omnicontacts_http_request_duration_seconds_bucket", endpoint="/api/v1/me", le="+Inf", method="GET"
        )
        == sent
    )
    assert _metric(text, "omnicontacts_http_request_duration_seconds_sum", endpoint="/api/v1/me", method="GET") > 0
    # Each worker: SQLite's writer and its readers.
    assert _metric(text, "omnicontacts_db_connections_open") == 2 * (READERS + 1)
    assert _metric(text, "omnicontacts_websocket_connections") == 0


@pytest.mark.parametrize("backend", backends())
def test_killing_the_main_process_under_writes_loses_nothing_and_frees_the_port(backend: str, tmp_path: Path) -> None:
    """`kill -9` of the main process of `--workers 2` while writers run: the workers exit, the
    port is free again, and every write that was answered 200 is in the database."""
    port = free_port()
    database, schema = _database(backend, tmp_path)
    env = environment(ADMIN_USERNAME="admin", ADMIN_PASS="change-me", **database)
    base = f"http://127.0.0.1:{port}/api/v1"
    acknowledged: list[str] = []
    stop = threading.Event()
    left: list[int] = []
    try:
        with serving(["--workers", "2"], env, tmp_path, port) as process:
            login = httpx.post(f"{base}/login", json={"user": "admin", "password": "change-me"}).json()["data"]
            headers = {"X-User-Id": login["userId"], "X-Auth-Token": login["authToken"]}

            def write(writer: int) -> None:
                index = 0
                while not stop.is_set():
                    index += 1
                    body = {"name": f"W{writer} {index}", "emails": [f"m{writer}.{index}@example.com"], "phones": []}
                    try:
                        response = httpx.post(f"{base}/omnichannel/contacts", json=body, headers=headers, timeout=10)
                    except httpx.HTTPError:
                        continue  # cut off by the kill: never acknowledged
                    if response.status_code == 200:
                        acknowledged.append(response.json()["contactId"])

            threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 60
            while len(acknowledged) < 8 and time.monotonic() < deadline:
                time.sleep(0.1)
            workers = children(process.pid)
            assert len(workers) >= 2
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
            deadline = time.monotonic() + 8
            while time.monotonic() < deadline and (any(alive(pid) for pid in workers) or not port_free(port)):
                time.sleep(0.1)
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            left = [pid for pid in workers if alive(pid)]
            assert left == []
            assert port_free(port)
        assert len(acknowledged) >= 8
        assert set(acknowledged) <= _contact_ids(backend, tmp_path, schema)
    finally:
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        if schema is not None:
            drop_schema(os.environ[POSTGRES_URL_VARIABLE], schema)


def _contact_ids(backend: str, tmp_path: Path, schema: str | None) -> set[str]:
    """Every contact id in the database, read by a connection of the test's own."""
    if backend == "sqlite":
        raw = sqlite3.connect(tmp_path / "omni.db")
        try:
            return {row[0] for row in raw.execute("SELECT id FROM contacts")}
        finally:
            raw.close()
    import psycopg

    with psycopg.connect(os.environ[POSTGRES_URL_VARIABLE], options=f"-c search_path={schema}") as conn:
        return {row[0] for row in conn.execute("SELECT id FROM contacts")}


@pytest.mark.parametrize("backend", backends())
def test_killing_a_worker_loses_no_acknowledged_write(backend: str, tmp_path: Path) -> None:
    port = free_port()
    database, schema = _database(backend, tmp_path)
    env = environment(ADMIN_USERNAME="admin", ADMIN_PASS="change-me", **database)
    base = f"http://127.0.0.1:{port}/api/v1"
    acknowledged: list[str] = []
    failures: list[str] = []
    stop = threading.Event()
    try:
        with serving(["--workers", "2"], env, tmp_path, port) as process:
            login = httpx.post(f"{base}/login", json={"user": "admin", "password": "change-me"}).json()["data"]
            headers = {"X-User-Id": login["userId"], "X-Auth-Token": login["authToken"]}

            def write(writer: int) -> None:
                index = 0
                while not stop.is_set():
                    index += 1
                    body = {
                        "name": f"Writer {writer} contact {index}",
                        "emails": [f"w{writer}.{index}@example.com"],
                        "phones": [],
                    }
                    try:
                        # A new connection per request, so both workers take writes.
                        response = httpx.post(f"{base}/omnichannel/contacts", json=body, headers=headers, timeout=10)
                    except httpx.HTTPError as error:
                        failures.append(type(error).__name__)  # cut off by the kill: never acknowledged
                        continue
                    if response.status_code == 200:
                        acknowledged.append(response.json()["contactId"])
                    else:
                        failures.append(str(response.status_code))

            threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
            for thread in threads:
                thread.start()
            time.sleep(2)
            victim = min(children(process.pid))
            os.kill(victim, signal.SIGKILL)
            before_kill = len(acknowledged)
            time.sleep(3)
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            # Writes went on after the kill (the other worker, then a replacement, took them).
            assert before_kill >= 4 and len(acknowledged) > before_kill, (before_kill, len(acknowledged), failures)

            missing = [
                contact_id
                for contact_id in acknowledged
                if httpx.get(f"{base}/omnichannel/contacts.get", params={"contactId": contact_id}, headers=headers)
                .json()
                .get("contact", {})
                .get("_id")
                != contact_id
            ]
            assert missing == []
    finally:
        if schema is not None:
            drop_schema(os.environ[POSTGRES_URL_VARIABLE], schema)


def test_two_servers_over_one_sqlite_file_lose_no_write_to_a_lock(tmp_path: Path) -> None:
    """Two `serve` processes of two workers each over one SQLite file, writers on both, and a
    third writer (as a CLI import is) holding the file's write lock longer than the 10 s a
    statement waits for it: every write is answered 200 in the end ("database is locked" makes
    the request run again), and every acknowledged one is there."""
    path = tmp_path / "omni.db"
    env = environment(ADMIN_USERNAME="admin", ADMIN_PASS="change-me", DATABASE_URL=f"sqlite:///{path}")
    ports = [free_port()]
    acknowledged: list[str] = []
    answers: list[str] = []
    slowest = [0.0]
    stop = threading.Event()
    with serving(["--workers", "2"], env, tmp_path, ports[0]):
        ports.append(free_port())
        with serving(["--workers", "2"], env, tmp_path, ports[1]):
            login = httpx.post(
                f"http://127.0.0.1:{ports[0]}/api/v1/login", json={"user": "admin", "password": "change-me"}
            ).json()["data"]
            headers = {"X-User-Id": login["userId"], "X-Auth-Token": login["authToken"]}

            def write(writer: int) -> None:
                index = 0
                while not stop.is_set():
                    index += 1
                    port = ports[(writer + index) % 2]
                    body = {
                        "name": f"Writer {writer} contact {index}",
                        "emails": [f"w{writer}.{index}@example.com"],
                        "phones": [],
                    }
                    started = time.monotonic()
                    response = httpx.post(
                        f"http://127.0.0.1:{port}/api/v1/omnichannel/contacts", json=body, headers=headers, timeout=90
                    )
                    slowest[0] = max(slowest[0], time.monotonic() - started)
                    answers.append(
                        f"{response.status_code} {response.text[:200]}" if response.status_code != 200 else "200"
                    )
                    if response.status_code == 200:
                        acknowledged.append(response.json()["contactId"])

            threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 60
            while len(acknowledged) < 8 and time.monotonic() < deadline:
                time.sleep(0.1)
            outside = sqlite3.connect(path, isolation_level=None, timeout=30)
            outside.execute("BEGIN IMMEDIATE")
            before_lock = len(acknowledged)
            time.sleep(12)
            outside.execute("COMMIT")
            outside.close()
            time.sleep(2)
            stop.set()
            for thread in threads:
                thread.join(timeout=90)

            assert [answer for answer in answers if answer != "200"] == []
            # Writes waited out the lock (past the 10 s busy timeout, so at least one run failed)
            # and went on after it.
            assert before_lock >= 8 and len(acknowledged) > before_lock + 8
            assert slowest[0] > 10
            stored = sqlite3.connect(path)
            try:
                found = {row[0] for row in stored.execute("SELECT id FROM contacts")}
            finally:
                stored.close()
            assert set(acknowledged) <= found
            assert len(found) == len(acknowledged)  # no run that failed left a contact behind
