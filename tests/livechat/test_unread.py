"""Unread counts on the agent's subscription (Rocket.Chat's updateUsersSubscriptions) and
POST subscriptions.read."""

from typing import Any

import pytest

from tests.livechat.steps import create_agent, fetch_inquiry, open_room, register_visitor, send, set_setting
from tests.support import LOGGED_OUT, Api


def taken_room(api: Api) -> tuple[dict[str, Any], dict[str, Any], Api]:
    """A visitor's room, taken by a new agent from the queue."""
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    _, agent = create_agent(api)
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    inquiry = fetch_inquiry(agent, room["_id"])
    assert inquiry is not None
    assert agent.post("livechat/inquiries.take", {"inquiryId": inquiry["_id"]}).status_code == 200
    return visitor, room, agent


def subscription(agent: Api, room_id: str) -> dict[str, Any]:
    found = agent.get("subscriptions.getOne", params={"roomId": room_id}).json()["subscription"]
    assert found is not None
    return found  # type: ignore[no-any-return]


def test_visitor_messages_count_as_unread_for_the_agent(api: Api) -> None:
    visitor, room, agent = taken_room(api)
    assert subscription(agent, room["_id"])["unread"] == 1

    send(api, visitor["token"], room["_id"], "Hello?")
    send(api, visitor["token"], room["_id"], "Anyone there?")

    after = subscription(agent, room["_id"])
    assert (after["unread"], after["alert"], after["open"]) == (3, True, True)


def test_answering_marks_the_room_read_for_the_agent(api: Api) -> None:
    visitor, room, agent = taken_room(api)
    send(api, visitor["token"], room["_id"], "Hello?")

    reply = agent.post("chat.sendMessage", {"message": {"rid": room["_id"], "msg": "Hi, how can I help?"}})
    assert reply.status_code == 200, reply.text

    after = subscription(agent, room["_id"])
    assert (after["unread"], after["alert"], after["userMentions"], after["groupMentions"]) == (0, False, 0, 0)
    assert after["ls"] == reply.json()["message"]["ts"]
    send(api, visitor["token"], room["_id"], "My order is late")
    assert subscription(agent, room["_id"])["unread"] == 1


@pytest.mark.parametrize("key", ["rid", "roomId"])
def test_reading_clears_the_counters(api: Api, key: str) -> None:
    visitor, room, agent = taken_room(api)
    send(api, visitor["token"], room["_id"], "Hello?")
    before = subscription(agent, room["_id"])

    response = agent.post("subscriptions.read", {key: room["_id"]})

    assert response.status_code == 200
    assert response.json() == {"success": True}
    after = subscription(agent, room["_id"])
    assert (after["unread"], after["alert"], after["open"]) == (0, False, True)
    assert after["ls"] > before["ls"]


def test_mentions_only_flags_without_counting(api: Api) -> None:
    visitor, room, agent = taken_room(api)
    agent.post("subscriptions.read", {"rid": room["_id"]})
    set_setting(api, "Unread_Count_Omni", "mentions_only")

    send(api, visitor["token"], room["_id"], "Hello?")

    after = subscription(agent, room["_id"])
    assert (after["unread"], after["alert"]) == (0, True)


def test_read_errors(api: Api) -> None:
    _, room, agent = taken_room(api)
    _, outsider = create_agent(api)

    invalid = {"success": False, "error": "error-invalid-subscription"}
    assert outsider.post("subscriptions.read", {"rid": room["_id"]}).json() == invalid
    for empty in ({"rid": ""}, {"roomId": ""}):
        response = agent.post("subscriptions.read", empty)
        assert (response.status_code, response.json()) == (400, invalid)
    missing = agent.post("subscriptions.read", {})
    assert missing.status_code == 400
    assert missing.json() == {
        "success": False,
        "error": "must have required property 'rid'\n must have required property 'roomId'\n"
        " must match a schema in anyOf [invalid-params]",
        "errorType": "invalid-params",
    }
    extra = agent.post("subscriptions.read", {"rid": room["_id"], "other": 1})
    assert extra.status_code == 400
    assert extra.json()["error"].startswith("must NOT have additional properties\n")
    logged_out = api.anonymous().post("subscriptions.read", {"rid": room["_id"]})
    assert (logged_out.status_code, logged_out.json()) == (401, LOGGED_OUT)
