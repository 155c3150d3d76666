"""Agents answer visitors: chat.sendMessage and chat.postMessage in livechat rooms."""

import time
from typing import Any

import pytest

from tests.livechat.steps import (
    close_by_agent,
    create_agent,
    fetch_inquiry,
    open_room,
    register_visitor,
    room_info,
    send,
    set_setting,
)
from tests.support import LOGGED_OUT, Api


def served_room(api: Api, name: str = "Visitor Name") -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], Api]:
    """A visitor's room taken by a new agent: (visitor, room, agent user, agent client)."""
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    user, agent = create_agent(api)
    visitor = register_visitor(api, name=name)
    room = open_room(api, visitor["token"])
    inquiry = fetch_inquiry(api, room["_id"])
    assert inquiry is not None
    assert agent.post("livechat/inquiries.take", {"inquiryId": inquiry["_id"]}).status_code == 200
    return visitor, room, user, agent


def send_message(client: Api, message: dict[str, Any]) -> dict[str, Any]:
    response = client.post("chat.sendMessage", {"message": message})
    assert response.status_code == 200, response.text
    return response.json()["message"]  # type: ignore[no-any-return]


def history(api: Api, visitor: dict[str, Any], rid: str) -> list[dict[str, Any]]:
    response = api.anonymous().get(f"livechat/messages.history/{rid}", params={"token": visitor["token"]})
    assert response.status_code == 200, response.text
    return response.json()["messages"]  # type: ignore[no-any-return]


def test_the_agent_answers_with_send_message(api: Api) -> None:
    visitor, room, user, agent = served_room(api)
    asked = send(api, visitor["token"], room["_id"], "Where is my order?")
    before = room_info(api, room["_id"])

    response = agent.post("chat.sendMessage", {"message": {"rid": room["_id"], "msg": "On its way"}})

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["message", "success"]
    message = body["message"]
    assert list(message) == ["_id", "rid", "msg", "ts", "u", "_updatedAt"]
    assert message["rid"] == room["_id"]
    assert message["msg"] == "On its way"
    assert message["u"] == {"_id": user["_id"], "username": user["username"], "name": user["name"]}
    assert message["ts"] == message["_updatedAt"]
    assert len(message["_id"]) == 17
    after = room_info(api, room["_id"])
    assert after["msgs"] == before["msgs"] + 1
    assert after["lm"] == message["ts"]
    assert after["lastMessage"] == message
    # The first answer after the visitor wrote: the room no longer waits.
    assert "waitingResponse" not in after
    assert after["responseBy"] == {
        "_id": user["_id"],
        "username": user["username"],
        "firstResponseTs": message["ts"],
        "lastMessageTs": message["ts"],
    }
    # The visitor reads it; the agent's transcript has it too.
    assert [item["_id"] for item in history(api, visitor, room["_id"])[:2]] == [message["_id"], asked["_id"]]
    transcript = agent.get(f"livechat/{room['_id']}/messages").json()["messages"]
    assert [item["msg"] for item in transcript[:2]] == ["On its way", "Where is my order?"]


def test_answers_and_visitor_messages_take_turns(api: Api) -> None:
    visitor, room, _, agent = served_room(api)
    first = send_message(agent, {"rid": room["_id"], "msg": "Hello"})
    second = send_message(agent, {"rid": room["_id"], "msg": "Anyone there?"})

    answered = room_info(api, room["_id"])
    assert answered["responseBy"]["firstResponseTs"] == first["ts"]
    assert answered["responseBy"]["lastMessageTs"] == second["ts"]

    send(api, visitor["token"], room["_id"], "Yes")
    waiting = room_info(api, room["_id"])
    assert waiting["waitingResponse"] is True
    assert "responseBy" not in waiting


def test_the_agent_answers_with_post_message(api: Api) -> None:
    visitor, room, user, agent = served_room(api)
    started = int(time.time() * 1000)

    response = agent.post("chat.postMessage", {"roomId": room["_id"], "text": "  Anything else?  "})

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["ts", "channel", "message", "success"]
    assert isinstance(body["ts"], int)
    assert body["ts"] >= started
    assert body["channel"] == room["_id"]
    message = body["message"]
    assert list(message) == ["_id", "rid", "msg", "ts", "u", "groupable", "_updatedAt"]
    assert message["msg"] == "Anything else?"
    assert message["groupable"] is False
    assert message["u"]["_id"] == user["_id"]
    assert history(api, visitor, room["_id"])[0] == message
    # `#<room id>` names the room too, and is echoed as given.
    by_hash = agent.post("chat.postMessage", {"channel": f"#{room['_id']}", "text": "Bye"}).json()
    assert by_hash["channel"] == f"#{room['_id']}"
    assert room_info(api, room["_id"])["lastMessage"]["msg"] == "Bye"


def test_post_message_with_attachments_and_emoji(api: Api) -> None:
    _, room, _, agent = served_room(api)
    link = "https://example.com/invoice/1"
    attachment = {"title": "Invoice", "title_link": link, "msg": " Paid "}

    message = agent.post(
        "chat.postMessage", {"roomId": [room["_id"], room["_id"]], "emoji": ":smile:", "attachments": [attachment]}
    ).json()["message"]

    assert message["msg"] == ""
    assert message["emoji"] == ":smile:"
    assert message["attachments"] == [{"title": "Invoice", "title_link": link, "text": "Paid"}]
    # The same room named twice gets the message once.
    assert room_info(api, room["_id"])["lastMessage"]["_id"] == message["_id"]


def test_who_may_write(api: Api) -> None:
    _, room, _, _ = served_room(api)
    _, other_agent = create_agent(api)
    plain = api.as_user(api.login(api.create_user()["username"]))
    body = {"message": {"rid": room["_id"], "msg": "Hi"}}

    assert api.anonymous().post("chat.sendMessage", body).status_code == 401
    assert api.anonymous().post("chat.sendMessage", body).json() == LOGGED_OUT
    assert api.anonymous().post("chat.postMessage", {"roomId": room["_id"], "text": "x"}).json() == LOGGED_OUT
    for client in (plain, other_agent):
        refused = client.post("chat.sendMessage", body)
        assert refused.status_code == 400
        assert refused.json() == {"success": False, "error": "error-not-allowed"}
        assert client.post("chat.postMessage", {"roomId": room["_id"], "text": "x"}).json() == {
            "success": False,
            "error": "error-not-allowed",
        }
    # Managers may write in any livechat room (`view-livechat-rooms`).
    assert api.post("chat.sendMessage", body).status_code == 200


def test_any_agent_may_write_while_the_room_waits_in_the_queue(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    _, agent = create_agent(api)
    room = open_room(api, register_visitor(api)["token"])

    message = send_message(agent, {"rid": room["_id"], "msg": "Someone will be with you shortly"})

    assert room_info(api, room["_id"])["lastMessage"] == message


def test_a_closed_conversation_takes_no_more_messages(api: Api) -> None:
    _, room, _, agent = served_room(api)
    close_by_agent(agent, room["_id"])
    closed = room_info(api, room["_id"])

    for response in (
        agent.post("chat.sendMessage", {"message": {"rid": room["_id"], "msg": "One more thing"}}),
        api.post("chat.postMessage", {"roomId": room["_id"], "text": "One more thing"}),
    ):
        assert response.status_code == 400
        assert response.json() == {"success": False, "error": "room-closed"}
    assert room_info(api, room["_id"]) == closed


def test_send_message_errors(api: Api) -> None:
    _, room, _, agent = served_room(api)

    def error(body: Any) -> Any:
        response = agent.post("chat.sendMessage", body)
        assert response.status_code == 400, response.text
        return response.json()

    assert error({}) == {
        "success": False,
        "error": "must have required property 'message' [invalid-params]",
        "errorType": "invalid-params",
    }
    assert error({"message": {"rid": room["_id"]}, "extra": 1}) == {
        "success": False,
        "error": "must NOT have additional properties [invalid-params]",
        "errorType": "invalid-params",
    }
    assert error({"message": {"rid": 5, "msg": ["x"]}})["error"] == "must be string [invalid-params]"
    assert error({"message": {"msg": "no room"}}) == {
        "success": False,
        "error": "The 'rid' property on the message object is missing.",
    }
    assert error({"message": {"rid": "nope", "msg": "x"}}) == {"success": False, "error": "error-invalid-room"}
    assert error({"message": {"rid": room["_id"], "msg": "x", "t": "uj"}}) == {
        "success": False,
        "error": "Cannot send system messages using 'chat.sendMessage'",
    }
    assert error({"message": {"rid": room["_id"], "msg": "x", "tshow": True}}) == {
        "success": False,
        "error": "tshow provided but missing tmid [invalid-params]",
        "errorType": "invalid-params",
        "details": {"method": "sendMessage"},
    }
    assert error({"message": {"rid": room["_id"], "msg": "x", "tmid": "parent"}}) == {
        "success": False,
        "error": "not-allowed [error-not-allowed]",
        "errorType": "error-not-allowed",
        "details": {"method": "sendMessage"},
    }
    assert error({"message": {"rid": room["_id"], "msg": "x" * 5001}}) == {
        "success": False,
        "error": "Message size exceeds Message_MaxAllowedSize [error-message-size-exceeded]",
        "errorType": "error-message-size-exceeded",
        "details": {"method": "sendMessage"},
    }
    assert error({"message": {"rid": room["_id"], "msg": "x", "customFields": {"a": "b"}}}) == {
        "success": False,
        "error": "Custom fields not enabled",
    }
    assert error(
        {"message": {"rid": room["_id"], "msg": "x", "attachments": [{"title_link": "javascript:alert(1)"}]}}
    ) == {"success": False, "error": "Invalid href value provided"}
    assert error({"message": {"rid": room["_id"], "msg": "x", "attachments": [{"fields": [{"title": "t"}]}]}}) == {
        "success": False,
        "error": "Invalid attachment field, title and value is required",
    }
    assert send_message(agent, {"rid": room["_id"], "msg": "x" * 5000})["msg"] == "x" * 5000


def test_the_size_limit_follows_the_setting(api: Api) -> None:
    _, room, _, agent = served_room(api)
    set_setting(api, "Message_MaxAllowedSize", 3)

    assert (
        agent.post("chat.sendMessage", {"message": {"rid": room["_id"], "msg": "four"}}).json()["errorType"]
        == "error-message-size-exceeded"
    )
    assert agent.post("chat.postMessage", {"roomId": room["_id"], "text": "four"}).json() == {
        "success": False,
        "error": "error-message-size-exceeded",
    }
    assert agent.post("chat.postMessage", {"roomId": room["_id"], "attachments": [{"text": "four"}]}).json() == {
        "success": False,
        "error": "error-message-size-exceeded",
    }
    assert send_message(agent, {"rid": room["_id"], "msg": "abc"})["msg"] == "abc"


def test_another_name_or_picture_needs_message_impersonate(api: Api) -> None:
    _, room, _, agent = served_room(api)
    not_enough = {"success": False, "error": "Not enough permission"}

    assert agent.post("chat.sendMessage", {"message": {"rid": room["_id"], "msg": "x", "alias": "Bot"}}).json() == (
        not_enough
    )
    assert agent.post("chat.postMessage", {"roomId": room["_id"], "text": "x", "avatar": "/avatar.png"}).json() == (
        not_enough
    )
    # An emoji needs nothing.
    assert send_message(agent, {"rid": room["_id"], "msg": "x", "emoji": ":wave:"})["emoji"] == ":wave:"

    api.set_permission("message-impersonate", ["bot", "app", "livechat-agent"])
    message = send_message(agent, {"rid": room["_id"], "msg": "x", "alias": "Support Bot", "avatar": "/bot.png"})
    assert (message["alias"], message["avatar"]) == ("Support Bot", "/bot.png")
    assert agent.post(
        "chat.sendMessage", {"message": {"rid": room["_id"], "msg": "x", "avatar": "javascript:alert(1)"}}
    ).json() == {"success": False, "error": "Invalid href value provided"}


def test_a_client_chosen_id(api: Api) -> None:
    _, room, _, agent = served_room(api)
    _, other_room, _, _ = served_room(api, name="Other")

    first = send_message(agent, {"rid": room["_id"], "msg": "once", "_id": "agent-msg-1"})
    again = send_message(agent, {"rid": room["_id"], "msg": "twice", "_id": "agent-msg-1"})

    assert first["_id"] == "agent-msg-1"
    assert again == first
    assert room_info(api, room["_id"])["lastMessage"] == first
    # Nobody writes under an id someone else's message holds.
    taken = api.post("chat.sendMessage", {"message": {"rid": other_room["_id"], "msg": "x", "_id": "agent-msg-1"}})
    assert taken.json() == {"success": False, "error": "error-not-allowed"}


@pytest.mark.parametrize(
    "body",
    [
        {"roomId": "nope", "text": "x"},
        {"channel": "#nope", "text": "x"},
        {"channel": "@admin.test", "text": "x"},
        {"channel": "", "text": "x"},
    ],
)
def test_post_message_to_nowhere(api: Api, body: dict[str, Any]) -> None:
    response = api.post("chat.postMessage", body)

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "[invalid-channel]", "errorType": "invalid-channel"}


def test_post_message_validation(api: Api) -> None:
    _, room, _, agent = served_room(api)

    # An empty list names no room: nothing is sent (Rocket.Chat's answer).
    assert agent.post("chat.postMessage", {"roomId": [], "text": "x"}).json() == {
        "success": False,
        "error": "unknown-error",
    }

    missing = agent.post("chat.postMessage", {"text": "x"})
    assert missing.status_code == 400
    assert missing.json() == {
        "success": False,
        "error": "must have required property 'roomId'\n must have required property 'channel'\n"
        " must match exactly one schema in oneOf [invalid-params]",
        "errorType": "invalid-params",
    }
    both = agent.post("chat.postMessage", {"roomId": room["_id"], "channel": room["_id"], "text": "x"})
    assert both.json()["errorType"] == "invalid-params"
    assert agent.post("chat.postMessage", {"roomId": room["_id"], "text": "x", "tmid": "parent"}).json() == {
        "success": False,
        "error": "not-allowed [error-not-allowed]",
        "errorType": "error-not-allowed",
        "details": {"method": "sendMessage"},
    }


def test_checks_on_the_room_come_before_checks_on_the_message(api: Api) -> None:
    _, room, _, agent = served_room(api)
    plain = api.as_user(api.login(api.create_user()["username"]))
    custom = {"roomId": room["_id"], "text": "x", "customFields": {"a": "b"}}

    assert agent.post("chat.postMessage", custom).json() == {"success": False, "error": "Custom fields not enabled"}
    assert plain.post("chat.postMessage", custom).json() == {"success": False, "error": "error-not-allowed"}
    assert api.post("chat.postMessage", {**custom, "roomId": "nope"}).json()["errorType"] == "invalid-channel"
    # A bad picture link is refused before the permission to use one is looked at.
    assert agent.post("chat.postMessage", {"roomId": room["_id"], "avatar": "javascript:x"}).json() == {
        "success": False,
        "error": "Invalid href value provided",
    }
