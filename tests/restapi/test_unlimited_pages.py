"""count=0 (every match, as Rocket.Chat answers it while `API_Allow_Infinite_Count` is on) is sent
while it is read: the same JSON as a page built in memory, and a worker whose memory stays flat
however many rows the answer holds."""

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench import generate
from bench.common import ADMIN_PASSWORD, ADMIN_USERNAME, bench_settings
from bench.generate import Plan, load_sqlite, make_plan
from omnicontacts.bootstrap import prepare_database
from tests.factories import closed_room_doc, contact_doc, store
from tests.support import POSTGRES_URL_VARIABLE, Api, RunningServer, _free_port, backends, drop_schema


@pytest.fixture
def filled(api: Api, server: RunningServer) -> dict[str, Any]:
    contacts = [contact_doc(f"Person {index:03d}", emails=[{"address": f"p{index}@x.io"}]) for index in range(1203)]
    owner = contacts[7]
    rooms = [closed_room_doc(owner, closed_minutes=minute) for minute in range(1, 1206)]
    store(server, contacts, rooms)
    return {"owner": owner}


def _split(response: httpx.Response) -> tuple[str, dict[str, Any]]:
    return response.headers.get("transfer-encoding", ""), response.json()


@pytest.mark.parametrize("offset", [0, 1000, 5000])
def test_unlimited_pages_answer_what_a_page_in_memory_answers(api: Api, filled: dict[str, Any], offset: int) -> None:
    set_count = api.post("settings/API_Upper_Count_Limit", {"value": 5000})
    assert set_count.status_code == 200
    owner = filled["owner"]["_id"]
    for path, params, key in (
        ("omnichannel/contacts.search", {}, "contacts"),
        ("omnichannel/contacts.history", {"contactId": owner}, "history"),
        ("livechat/rooms", {}, "rooms"),
    ):
        streamed = api.get(path, params={**params, "count": 0, "offset": offset})
        whole = api.get(path, params={**params, "count": 5000, "offset": offset})

        assert streamed.status_code == whole.status_code == 200
        assert streamed.headers["content-type"] == "application/json"
        assert streamed.headers["cache-control"] == "no-store"
        assert streamed.headers.get("transfer-encoding") == "chunked"
        body, expected = streamed.json(), whole.json()
        assert list(body) == list(expected)
        assert body[key] == expected[key]
        assert len(body[key]) == max(0, {"contacts": 1203, "history": 1205, "rooms": 1205}[key] - offset)
        assert body["total"] == expected["total"]
        assert body["count"] == (0 if key == "contacts" else len(body[key]))
        assert body["success"] is True


def test_unlimited_pages_follow_the_settings(api: Api, filled: dict[str, Any]) -> None:
    assert len(api.get("omnichannel/contacts.search", params={"count": 0}).json()["contacts"]) == 1203
    assert api.post("settings/API_Allow_Infinite_Count", {"value": False}).status_code == 200

    refused = api.get("omnichannel/contacts.search", params={"count": 0})

    # Without infinite counts, Rocket.Chat falls back to API_Default_Count (50).
    assert refused.headers.get("content-length") is not None
    assert (len(refused.json()["contacts"]), refused.json()["count"]) == (50, 50)


# --- memory ------------------------------------------------------------------------------------

CONTACTS, ROOMS = 30_000, 30_000
RSS_LIMIT_MB = 150
# What an answer may add to the worker's peak: buffers and a batch, not the answer itself (the
# 30,000 contacts parsed at once would be well over 100 MB).
GROWTH_LIMIT_MB = 40


def _memory_mb(pid: int) -> dict[str, float]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values


def _copy_postgres(url: str, schema: str, plan: Plan) -> None:
    """The generator's rows, COPYed in this process (its parallel loader forks, which a test
    process with server threads running should not do)."""
    prepare_database(bench_settings(url, schema))
    generate._PLAN, generate._TARGET = plan, (url, schema)
    try:
        for kind, total in (("contacts", CONTACTS), ("rooms", ROOMS)):
            asyncio.run(generate._copy(kind, 0, total))
    finally:
        generate._PLAN, generate._TARGET = None, ("", "")


@pytest.fixture(scope="module", params=backends())
def big_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    plan = make_plan(CONTACTS, ROOMS, 5)
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('big') / 'big.db'}"
        load_sqlite(url, plan)
    else:
        url = os.environ[POSTGRES_URL_VARIABLE]
        schema = f"omni_big_{os.getpid()}"
        _copy_postgres(url, schema, plan)
    settings = bench_settings(url, schema)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": settings.database_url, "DB_POOL_SIZE": "4"}
    if schema:
        env["DATABASE_SCHEMA"] = schema
    command = [sys.executable, "-m", "uvicorn", "omnicontacts.app:app_from_environment", "--factory"]
    command += ["--port", str(port), "--loop", "uvloop", "--http", "httptools", "--log-level", "warning"]
    process = subprocess.Popen(command, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/info", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(timeout=15)
        if schema is not None:
            drop_schema(url, schema)


@pytest.mark.parametrize(
    ("path", "key", "rows"),
    [("omnichannel/contacts.search", "contacts", CONTACTS), ("livechat/rooms", "rooms", ROOMS)],
)
def test_a_worker_answering_every_row_keeps_its_memory(
    big_server: tuple[str, int], path: str, key: str, rows: int
) -> None:
    base_url, pid = big_server
    api = Api(base_url)
    api = api.as_user(api.login(ADMIN_USERNAME, ADMIN_PASSWORD))
    assert api.get(path, params={"count": 100}).status_code == 200
    before = _memory_mb(pid)

    items = 0
    with api.client.stream("GET", f"/api/v1/{path}", params={"count": 0}) as response:
        assert response.status_code == 200
        text = b"".join(response.iter_bytes())
    body = json.loads(text)
    items = len(body[key])
    after = _memory_mb(pid)

    assert (items, body["total"]) == (rows, rows)
    assert len(text) > 10_000_000  # a big answer: it would not fit in the growth limit
    assert after["VmHWM"] - before["VmHWM"] < GROWTH_LIMIT_MB, (before, after)
    assert after["VmHWM"] < RSS_LIMIT_MB, after
