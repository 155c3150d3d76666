"""POST omnichannel/contacts.block and .unblock: spec §2.13-§2.14, e2e tests 79-96."""

from typing import Any

import orjson
import pytest

from tests.contacts.conversations import (
    build_conversation,
    find_contact,
    find_inquiry,
    find_room,
    find_subscription,
    room_messages,
    run,
)
from tests.support import ADMIN_USERNAME, FORBIDDEN, LOGGED_OUT, Api, RunningServer


def block(api: Api, visitor: Any) -> Any:
    return api.post("omnichannel/contacts.block", {"visitor": visitor})


def unblock(api: Api, visitor: Any) -> Any:
    return api.post("omnichannel/contacts.unblock", {"visitor": visitor})


def channel_blocked(server: RunningServer, contact_id: str) -> list[bool]:
    contact = find_contact(server, contact_id)
    assert contact is not None
    return [channel["blocked"] for channel in contact["channels"]]


def test_blocks_the_channel_and_closes_its_open_room(api: Api, server: RunningServer) -> None:
    conversation = build_conversation(server, rooms=(True,))
    room = conversation.rooms[0]

    response = block(api, conversation.association)

    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert channel_blocked(server, conversation.contact["_id"]) == [True]
    closed = find_room(server, room["_id"])
    assert closed is not None
    assert "open" not in closed
    assert closed["closer"] == "user"
    assert closed["closedBy"] == {"_id": server.admin_id, "username": ADMIN_USERNAME}
    assert closed["closedAt"] >= room["ts"]
    assert isinstance(closed["metrics"]["chatDuration"], float)
    assert closed["v"]["status"] == "offline"
    last = closed["lastMessage"]
    assert last["msg"] == "This channel has been blocked"
    assert last["t"] == "livechat-close"
    assert last["rid"] == room["_id"]
    assert last["u"] == {"_id": server.admin_id, "username": ADMIN_USERNAME}
    assert last["ts"] == closed["closedAt"]
    assert closed["closingMessage"] == last
    assert [message["_id"] for message in room_messages(server, room["_id"])][-1] == last["_id"]
    assert find_inquiry(server, room["_id"]) is None
    assert find_subscription(server, room["_id"]) is None
    history = api.get("omnichannel/contacts.history", {"contactId": conversation.contact["_id"]}).json()
    assert [item["_id"] for item in history["history"]] == [room["_id"]]


def test_blocking_again_succeeds(api: Api, server: RunningServer) -> None:
    conversation = build_conversation(server, rooms=(True,))
    block(api, conversation.association)
    closed = find_room(server, conversation.rooms[0]["_id"])

    response = block(api, conversation.association)

    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert channel_blocked(server, conversation.contact["_id"]) == [True]
    assert find_room(server, conversation.rooms[0]["_id"]) == closed


def test_only_the_room_of_that_source_is_closed(api: Api, server: RunningServer) -> None:
    conversation = build_conversation(server, rooms=(True,), source={"type": "widget", "destination": "x.com"})
    other = build_conversation(server, rooms=(True,))

    block(api, conversation.association)

    assert find_room(server, other.rooms[0]["_id"]) == other.rooms[0]


def test_a_channel_without_open_room(api: Api, server: RunningServer) -> None:
    conversation = build_conversation(server, rooms=(False,))

    assert block(api, conversation.association).status_code == 200
    assert find_room(server, conversation.rooms[0]["_id"]) == conversation.rooms[0]


@pytest.mark.parametrize(
    "change",
    [
        {"visitorId": "invalid"},
        {"source": {"type": "sms"}},
        {"source": {"type": "api", "id": "other-inbox"}},
    ],
)
def test_unknown_association(api: Api, server: RunningServer, change: dict[str, Any]) -> None:
    conversation = build_conversation(server, rooms=())
    association = {**conversation.association, **change}

    for call in (block, unblock):
        response = call(api, association)
        assert response.status_code == 400
        assert response.json() == {"success": False, "error": "error-contact-not-found"}
    assert channel_blocked(server, conversation.contact["_id"]) == [False]


def test_source_id_narrows_the_match(api: Api, server: RunningServer) -> None:
    conversation = build_conversation(server, rooms=(True,), source={"type": "email", "id": "inbox", "alias": "S"})

    assert block(api, {**conversation.association, "source": {"type": "email", "id": "other"}}).status_code == 400
    assert block(api, {**conversation.association, "source": {"type": "email"}}).status_code == 200
    assert channel_blocked(server, conversation.contact["_id"]) == [True]
    assert "open" not in (find_room(server, conversation.rooms[0]["_id"]) or {})


def test_unblock_and_repeat(api: Api, server: RunningServer) -> None:
    conversation = build_conversation(server, rooms=(False,))
    block(api, conversation.association)

    first = unblock(api, conversation.association)
    second = unblock(api, conversation.association)

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json() == {"success": True}
    assert channel_blocked(server, conversation.contact["_id"]) == [False]


def test_events_are_recorded(api: Api, server: RunningServer) -> None:
    conversation = build_conversation(server, rooms=())
    block(api, conversation.association)
    unblock(api, conversation.association)

    rows = run(
        server,
        lambda conn: conn.fetch(
            "SELECT doc FROM contact_events WHERE contact_id = $1 ORDER BY ts, id", conversation.contact["_id"]
        ),
    )
    events = sorted((orjson.loads(row["doc"]) for row in rows), key=lambda event: event["type"])
    assert [event["type"] for event in events] == ["blocked", "unblocked"]
    assert all(event["changes"] == {"visitor": conversation.association} for event in events)
    assert events[0]["actor"] == {"type": "user", "_id": server.admin_id, "username": ADMIN_USERNAME}


def test_a_vanished_visitor_still_gets_blocked(api: Api, server: RunningServer) -> None:
    conversation = build_conversation(server, rooms=(True,))
    run(server, lambda conn: conn.execute("DELETE FROM visitors WHERE id = $1", conversation.visitor["_id"]))

    response = block(api, conversation.association)

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "error-visitor-not-found"}
    assert channel_blocked(server, conversation.contact["_id"]) == [True]
    assert find_room(server, conversation.rooms[0]["_id"]) == conversation.rooms[0]


@pytest.mark.parametrize("path", ["omnichannel/contacts.block", "omnichannel/contacts.unblock"])
@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "must have required property 'visitor'"),
        ({"visitor": {"source": {"type": "api"}}}, "must have required property 'visitorId'"),
        ({"visitor": {"visitorId": "v"}}, "must have required property 'source'"),
        ({"visitor": {"visitorId": "v", "source": {}}}, "must have required property 'type'"),
        ({"visitor": {"visitorId": "v", "source": {"type": "api"}}, "extra": 1}, "must NOT have additional properties"),
        ({"visitor": "v"}, "must be object"),
    ],
)
def test_validation(api: Api, path: str, body: dict[str, Any], error: str) -> None:
    response = api.post(path, body)

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": f"{error} [invalid-params]", "errorType": "invalid-params"}


@pytest.mark.parametrize(
    ("path", "permission"),
    [
        ("omnichannel/contacts.block", "block-livechat-contact"),
        ("omnichannel/contacts.unblock", "unblock-livechat-contact"),
    ],
)
def test_permission_and_login(api: Api, anon: Api, path: str, permission: str) -> None:
    body = {"visitor": {"visitorId": "v", "source": {"type": "api"}}}
    assert anon.post(path, body).json() == LOGGED_OUT
    api.set_permission(permission, [])

    response = api.post(path, body)

    assert response.status_code == 403
    assert response.json() == FORBIDDEN


def test_agents_may_block(api: Api, server: RunningServer) -> None:
    conversation = build_conversation(server, rooms=())
    agent = api.create_user(roles=["user", "livechat-agent"])

    assert block(api.as_user(api.login(agent["username"])), conversation.association).status_code == 200
