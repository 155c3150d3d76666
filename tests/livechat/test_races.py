"""Races, run for real against the server: first registrations of one token, an agent taking an
inquiry while its visitor writes, and a deadlock that the server must absorb, not show."""

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.livechat.steps import create_agent, fetch_inquiry, new_token, open_room, register_visitor, set_setting
from tests.support import Api, RunningServer, backends, run_server


def _all_at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run the calls on their own threads, released together."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _post(client: Api, path: str, body: dict[str, Any]) -> Callable[[], httpx.Response]:
    return lambda: client.post(path, body)


def test_ten_concurrent_first_registrations_of_one_token_make_one_visitor(api: Api) -> None:
    for round_ in range(5):
        token = new_token()
        clients = [api.anonymous() for _ in range(10)]
        body = {"visitor": {"token": token, "name": f"Racer {round_}", "email": f"racer{round_}@example.com"}}

        answers = _all_at_once([_post(client, "livechat/visitor", body) for client in clients])

        assert [answer.status_code for answer in answers] == [200] * 10, [
            a.text for a in answers if a.status_code != 200
        ]
        visitors = [answer.json()["visitor"] for answer in answers]
        assert {visitor["_id"] for visitor in visitors} == {visitors[0]["_id"]}
        assert {visitor["username"] for visitor in visitors} == {visitors[0]["username"]}
        assert api.anonymous().get(f"livechat/visitor/{token}").json()["visitor"]["_id"] == visitors[0]["_id"]


def test_an_agent_taking_inquiries_while_their_visitors_write_never_fails(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    user, agent = create_agent(api)
    conversations = []
    for number in range(12):
        visitor = register_visitor(api, name=f"Writer {number}")
        room = open_room(api, visitor["token"])
        inquiry = fetch_inquiry(api, room["_id"])
        assert inquiry is not None
        conversations.append((visitor, room, inquiry))

    calls: list[Callable[[], httpx.Response]] = []
    for visitor, room, inquiry in conversations:
        calls.append(_post(agent, "livechat/inquiries.take", {"inquiryId": inquiry["_id"]}))
        message = {"token": visitor["token"], "rid": room["_id"], "msg": "are you there?"}
        calls.append(_post(api.anonymous(), "livechat/message", message))
    answers = _all_at_once(calls)

    assert [answer.status_code for answer in answers] == [200] * len(calls), [
        answer.text for answer in answers if answer.status_code != 200
    ]
    for visitor, room, _ in conversations:
        served = api.get("rooms.info", params={"roomId": room["_id"]}).json()["room"]
        assert served["servedBy"]["_id"] == user["_id"]
        assert served["lastMessage"]["msg"] in ("are you there?", "")
        history = api.anonymous().get(f"livechat/messages.history/{room['_id']}", params={"token": visitor["token"]})
        assert "are you there?" in [message["msg"] for message in history.json()["messages"]]


# --- a real deadlock (PostgreSQL detects them; SQLite writes one at a time and has none) --------


@pytest.fixture(params=[backend for backend in backends() if backend == "postgresql"])
def pg_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningServer]:
    yield from run_server(request.param, tmp_path)


def _outside(server: RunningServer) -> psycopg.Connection[Any]:
    schema = server.settings.database_schema
    return psycopg.connect(server.settings.database_url, options=f"-c search_path={schema}")


def test_a_deadlock_is_retried_and_never_shown_to_the_client(pg_server: RunningServer) -> None:
    api = Api(pg_server.base_url, pg_server.admin_headers)
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    user, agent = create_agent(api)
    visitor = register_visitor(api, name="Locked")
    room = open_room(api, visitor["token"])
    inquiry = fetch_inquiry(api, room["_id"])
    assert inquiry is not None
    answer: dict[str, httpx.Response] = {}

    with _outside(pg_server) as outside:
        # Another session holds the inquiry; the take locks the room, then waits for the inquiry.
        outside.execute("SELECT 1 FROM inquiries WHERE id = %s FOR UPDATE", (inquiry["_id"],))
        taker = threading.Thread(
            target=lambda: answer.update(take=agent.post("livechat/inquiries.take", {"inquiryId": inquiry["_id"]}))
        )
        taker.start()
        time.sleep(0.5)
        # Now it asks for the room: each waits for the other. PostgreSQL aborts the take's
        # transaction (it has waited longest), which is the only way this statement returns.
        outside.execute("SELECT 1 FROM rooms WHERE id = %s FOR UPDATE", (room["_id"],))
        time.sleep(0.2)
        outside.rollback()
        taker.join(timeout=30)

    assert answer["take"].status_code == 200, answer["take"].text
    assert answer["take"].json() == {"success": True}
    taken = fetch_inquiry(api, room["_id"])
    assert taken is not None and taken["status"] == "taken"
    assert api.get("rooms.info", params={"roomId": room["_id"]}).json()["room"]["servedBy"]["_id"] == user["_id"]
