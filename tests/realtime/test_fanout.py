"""Fan-out: changes are announced after commit only, and reach clients on every worker and every
server process sharing the database."""

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from omnicontacts import ids
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.storage import open_storage
from omnicontacts.timeutil import now_iso
from tests.livechat.steps import create_agent, open_room, register_visitor, send, set_setting
from tests.realtime.steps import follow_room, logged_in, message_args, take, widget
from tests.support import Api, RunningServer, _free_port


def _message(rid: str, text: str) -> dict[str, Any]:
    ts = now_iso()
    return {"_id": ids.meteor_id(), "rid": rid, "msg": text, "ts": ts, "u": {"_id": "system"}, "_updatedAt": ts}


async def _write_then_roll_back_then_commit(server: RunningServer, rid: str) -> None:
    storage = await open_storage(server.settings)
    try:
        with contextlib.suppress(RuntimeError):
            async with storage.transaction() as conn:
                await livechat_repository.insert_message(conn, _message(rid, "rolled back"))
                raise RuntimeError("the writer fails after writing")
        async with storage.transaction() as conn:
            await livechat_repository.insert_message(conn, _message(rid, "committed"))
    finally:
        await storage.close()


def test_a_rolled_back_write_is_never_published(api: Api, server: RunningServer) -> None:
    visitor = register_visitor(api)
    rid = open_room(api, visitor["token"])["_id"]
    client = widget(api.base_url, visitor["token"])
    follow_room(client, rid, visitor["token"])

    asyncio.run(_write_then_roll_back_then_commit(server, rid))

    # Only the two test writes count: the room's own opening notes may still be on their way.
    ours = ("committed", "rolled back")
    first = client.event("stream-room-messages", rid, where=lambda args: args[0].get("msg") in ours)
    assert first[0]["msg"] == "committed"
    client.nothing_matching(
        lambda f: (
            f.get("collection") == "stream-room-messages"
            and ((f.get("fields") or {}).get("args") or [{}])[0].get("msg") in ours
        ),
        wait=0.8,
    )
    client.close()


@contextlib.contextmanager
def another_server(server: RunningServer, workers: int = 1, **extra_env: str) -> Iterator[str]:
    """A second `omnicontacts serve` process over the same database (and schema)."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": server.settings.database_url,
        "BCRYPT_ROUNDS": "4",
        "DB_POOL_SIZE": "4",
        **extra_env,
    }
    if server.settings.database_schema:
        env["DATABASE_SCHEMA"] = server.settings.database_schema
    command = [str(Path(sys.executable).parent / "omnicontacts"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        # Generous, as for the browser test's second process: a cold start on a loaded machine.
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode() if process.stderr else "server exited")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base_url}/api/info", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("second server did not start")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_two_server_processes_behave_as_one(api: Api, server: RunningServer) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    user, agent = create_agent(api)
    visitor = register_visitor(api)
    token = visitor["token"]
    rid = open_room(api, token)["_id"]
    with another_server(server) as other_url:
        # The widget talks to the other process; the agent writes through this one.
        client = widget(other_url, token)
        follow_room(client, rid, token)
        take(api, agent, rid)
        agent_data = client.event("stream-livechat-room", rid, timeout=10)
        assert agent_data[0]["data"]["_id"] == user["_id"]
        agent.post("chat.sendMessage", {"message": {"rid": rid, "msg": "answered from process A"}})
        assert message_args(client, rid, msg="answered from process A")["u"]["_id"] == user["_id"]

        # Typing crosses the other way: widget on B, agent's client on A.
        agent_client = logged_in(api.base_url, agent.client.headers)
        agent_client.subscribed("stream-notify-room", f"{rid}/typing")
        client.call("stream-notify-room", f"{rid}/typing", visitor["username"], True, {"token": token})
        assert agent_client.event("stream-notify-room", f"{rid}/typing", timeout=10) == [
            visitor["username"],
            True,
            {"token": token},
        ]
        # A message written through B reaches a client of A.
        agent_client.subscribed("stream-room-messages", rid)
        httpx.post(f"{other_url}/api/v1/livechat/message", json={"token": token, "rid": rid, "msg": "via B"})
        assert message_args(agent_client, rid, msg="via B")["token"] == token
        client.close()
        agent_client.close()


@pytest.mark.parametrize("workers", [2])
def test_every_worker_of_a_process_delivers(api: Api, server: RunningServer, workers: int) -> None:
    visitor = register_visitor(api)
    token = visitor["token"]
    rid = open_room(api, token)["_id"]
    with another_server(server, workers=workers) as other_url:
        clients = [widget(other_url, token) for _ in range(6)]
        for client in clients:
            follow_room(client, rid, token)
        stored = send(api, token, rid, "to every worker")
        for client in clients:
            assert message_args(client, rid, msg="to every worker")["_id"] == stored["_id"]
            client.close()


def test_a_take_on_another_process_reaches_a_widget_here(api: Api, server: RunningServer) -> None:
    """The widget on this process, the agent on another (over one SQLite file too): the take is
    told as `agentData`, then the agent's answer, even when the widget renews its subscription
    between the take's commit and this process hearing of it (Rocket.Chat's widget drops and
    renews all its subscriptions whenever its socket reconnects)."""
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    user, agent = create_agent(api)
    visitor = register_visitor(api)
    token = visitor["token"]
    rid = open_room(api, token)["_id"]
    credentials = {"token": token, "visitorToken": token}
    with another_server(server) as other_url:
        agent_there = Api(other_url, dict(agent.client.headers))
        client = widget(api.base_url, token)
        client.subscribed("stream-room-messages", rid, credentials)
        follows = client.subscribed("stream-livechat-room", rid, credentials)
        take(api, agent_there, rid)
        # Renewed at once, in one go: well before the other process's notice reaches this one.
        client.send({"msg": "unsub", "id": follows})
        client.send(
            {"msg": "sub", "id": "renewed", "name": "stream-livechat-room", "params": [rid, {"args": [credentials]}]}
        )
        agent_data = client.event("stream-livechat-room", rid, where=lambda args: args[0]["type"] == "agentData")
        assert agent_data == [{"type": "agentData", "data": agent_data[0]["data"]}]
        assert agent_data[0]["data"]["_id"] == user["_id"]
        assert agent_data[0]["data"]["name"] == user["name"]

        agent_there.post("chat.sendMessage", {"message": {"rid": rid, "msg": "answered from the other process"}})
        assert message_args(client, rid, msg="answered from the other process")["u"]["_id"] == user["_id"]
        client.close()
