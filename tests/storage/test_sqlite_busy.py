"""SQLite's "database is locked": another process (a CLI import, another server over the same
file) keeps the write lock past the busy timeout. The request runs again; the client never sees
the error, and what it wrote is there once.

The server here waits 250 ms for a lock instead of 10 s, so that a lock held longer than that
takes seconds, not minutes (the two-process test in tests/operations runs with the real timeout).
"""

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnicontacts.storage import sqlite as sqlite_storage
from tests.livechat.steps import create_agent, open_room, register_visitor, set_setting
from tests.realtime.steps import logged_in, take
from tests.support import Api, RunningServer, run_server

BUSY_MS = 250


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[RunningServer]:
    monkeypatch.setattr(sqlite_storage, "BUSY_TIMEOUT_MS", BUSY_MS)
    yield from run_server("sqlite", tmp_path)


@pytest.fixture
def api(server: RunningServer) -> Iterator[Api]:
    client = Api(server.base_url, server.admin_headers)
    yield client
    client.client.close()


class WriteLock:
    """The database file's write lock, taken by a connection of its own (as a CLI writer beside
    the server takes it) and held for `seconds`."""

    def __init__(self, server: RunningServer, seconds: float) -> None:
        self.path = server.settings.database_url.removeprefix("sqlite:///")
        self.seconds = seconds
        self.held = threading.Event()
        self.released_at = 0.0
        self.thread = threading.Thread(target=self._hold)

    def _hold(self) -> None:
        raw = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            raw.execute("BEGIN IMMEDIATE")
            self.held.set()
            time.sleep(self.seconds)
            raw.execute("COMMIT")
            self.released_at = time.monotonic()
        finally:
            raw.close()

    def __enter__(self) -> "WriteLock":
        self.thread.start()
        assert self.held.wait(10)
        return self

    def __exit__(self, *_: object) -> None:
        self.thread.join(30)


def test_the_server_waits_only_its_busy_timeout_for_a_lock(server: RunningServer) -> None:
    """The setting reaches every connection: without it SQLite's own default is to wait 5 s
    (Python's), and with none at all, not at all."""
    path = server.settings.database_url.removeprefix("sqlite:///")
    for read_only in (False, True):
        raw = sqlite_storage.connect_sqlite(path, read_only=read_only)
        try:
            assert raw.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_MS
        finally:
            raw.close()


def test_a_write_outlasting_the_busy_timeout_is_run_again(server: RunningServer, api: Api) -> None:
    # Held for three busy timeouts: the first runs give up with "database is locked".
    with WriteLock(server, seconds=3 * BUSY_MS / 1000) as lock:
        response = api.post(
            "omnichannel/contacts", {"name": "Locked Out", "emails": ["locked.out@example.com"], "phones": []}
        )
        answered_at = time.monotonic()
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"contactId", "success"}
    assert answered_at >= lock.released_at > 0
    found = api.get("omnichannel/contacts.search", {"searchText": "locked.out@example.com"}).json()
    assert (found["total"], [contact["name"] for contact in found["contacts"]]) == (1, ["Locked Out"])


def test_a_visitor_message_outlasting_the_busy_timeout_is_stored_once(server: RunningServer, api: Api) -> None:
    visitor = register_visitor(api)
    rid = open_room(api, visitor["token"])["_id"]
    with WriteLock(server, seconds=3 * BUSY_MS / 1000):
        response = api.anonymous().post(
            "livechat/message", {"token": visitor["token"], "rid": rid, "msg": "still there?", "_id": "busy-1"}
        )
    assert response.status_code == 200, response.text
    assert response.json()["message"]["_id"] == "busy-1"
    history = api.get(f"livechat/messages.history/{rid}", {"token": visitor["token"]}).json()["messages"]
    assert [message["msg"] for message in history if message["_id"] == "busy-1"] == ["still there?"]


def test_a_websocket_method_outlasting_the_busy_timeout_is_run_again(server: RunningServer, api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    _, agent = create_agent(api)
    visitor = register_visitor(api)
    rid = open_room(api, visitor["token"])["_id"]
    take(api, agent, rid)
    client = logged_in(api.base_url, agent.client.headers)
    with WriteLock(server, seconds=3 * BUSY_MS / 1000):
        sent = client.call("sendMessage", {"_id": "busy-ws-1", "rid": rid, "msg": "over the websocket"})
    assert (sent["_id"], sent["msg"]) == ("busy-ws-1", "over the websocket")
    history = api.get(f"livechat/messages.history/{rid}", {"token": visitor["token"]}).json()["messages"]
    assert [message["msg"] for message in history if message["_id"] == "busy-ws-1"] == ["over the websocket"]


def test_a_lock_that_is_never_released_in_time_is_a_json_error_after_bounded_runs(
    server: RunningServer, api: Api
) -> None:
    """Retries are bounded: five runs of the busy timeout and short pauses, then the usual JSON
    500 (the lock here outlasts every one of them)."""
    started = time.monotonic()
    with WriteLock(server, seconds=4.0):
        response = api.post("omnichannel/contacts", {"name": "Never", "emails": [], "phones": []})
        answered_after = time.monotonic() - started
    assert response.status_code == 500
    assert response.json() == {"success": False, "error": "Internal server error"}
    assert 5 * BUSY_MS / 1000 <= answered_after < 4.0
