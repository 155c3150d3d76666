"""The method registry behind REST: method.call/:method and method.callAnon/:method, and the
methods themselves (the same table answers over the WebSocket)."""

import json
from typing import Any

import httpx

from tests.livechat.steps import create_agent, open_room, register_visitor, send, set_setting
from tests.realtime.steps import follow_room, logged_in, ms, take, widget
from tests.support import LOGGED_OUT, Api


def call(api: Api, method: str, *params: Any, anonymous: bool = False, call_id: str = "42") -> httpx.Response:
    path = f"method.{'callAnon' if anonymous else 'call'}/{method}"
    message = json.dumps({"msg": "method", "id": call_id, "method": method, "params": list(params)})
    return api.post(path, {"message": message})


def reply(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"message", "success"} and body["success"] is True
    return json.loads(body["message"])  # type: ignore[no-any-return]


def test_method_call_needs_a_login_and_call_anon_does_not(api: Api) -> None:
    visitor = register_visitor(api)
    response = call(api.anonymous(), "livechat:loginByToken", visitor["token"])
    assert response.status_code == 401
    assert response.json() == LOGGED_OUT
    answer = reply(call(api.anonymous(), "livechat:loginByToken", visitor["token"], anonymous=True))
    assert answer == {"msg": "result", "id": "42", "result": {"_id": visitor["_id"]}}
    assert reply(call(api.anonymous(), "livechat:loginByToken", "unknown", anonymous=True)) == {
        "msg": "result",
        "id": "42",
    }
    assert reply(call(api.anonymous(), "livechat:setUpConnection", {"token": "t"}, anonymous=True)) == {
        "msg": "result",
        "id": "42",
    }


def test_method_call_body_errors(api: Api) -> None:
    for path in ("method.call/x", "method.callAnon/x"):
        assert api.post(path, {}).json() == {
            "success": False,
            "error": "must have required property 'message' [invalid-params]",
            "errorType": "invalid-params",
        }
        assert api.post(path, {"message": "{}", "extra": 1}).json() == {
            "success": False,
            "error": "must NOT have additional properties [invalid-params]",
            "errorType": "invalid-params",
        }
        for message in (
            "not json",
            json.dumps({"msg": "method", "method": "x", "params": []}),
            json.dumps({"msg": "sub", "method": "x", "params": [], "id": "1"}),
            json.dumps({"msg": "method", "method": "x", "params": {}, "id": "1"}),
            json.dumps({"msg": "method", "method": "x", "params": [], "id": "1", "more": True}),
        ):
            response = api.post(path, {"message": message})
            assert response.status_code == 400
            assert response.json() == {"success": False, "error": "Invalid method call"}


def test_errors_travel_inside_a_successful_answer(api: Api) -> None:
    answer = reply(call(api, "no-such-method"))
    assert answer == {
        "msg": "result",
        "id": "42",
        "error": {
            "isClientSafe": True,
            "error": 404,
            "reason": "Method 'no-such-method' not found",
            "message": "Method 'no-such-method' not found [404]",
            "errorType": "Meteor.Error",
        },
    }
    answer = reply(call(api.anonymous(), "sendMessage", {"rid": "x", "msg": "hi"}, anonymous=True))
    assert answer["error"] == {
        "isClientSafe": True,
        "error": "error-invalid-user",
        "reason": "Invalid user",
        "details": {"method": "sendMessage"},
        "message": "Invalid user [error-invalid-user]",
        "errorType": "Meteor.Error",
    }


def test_send_message_and_load_history(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    user, agent = create_agent(api)
    visitor = register_visitor(api)
    rid = open_room(api, visitor["token"])["_id"]
    take(api, agent, rid)
    client = widget(api.base_url, visitor["token"])
    follow_room(client, rid, visitor["token"])

    answer = reply(call(agent, "sendMessage", {"_id": "rest-message-1", "rid": rid, "msg": "from method.call"}))
    message = answer["result"]
    assert message["_id"] == "rest-message-1"
    assert message["rid"] == rid
    assert message["msg"] == "from method.call"
    assert message["u"] == {"_id": user["_id"], "username": user["username"], "name": user["name"]}
    assert isinstance(message["ts"]["$date"], int)
    echoed = client.event("stream-room-messages", rid, where=lambda a: a[0]["_id"] == "rest-message-1")
    assert echoed[0] == message

    over_ddp = logged_in(api.base_url, agent.client.headers)
    sent = over_ddp.call("sendMessage", {"rid": rid, "msg": "from the websocket"})
    assert sent["msg"] == "from the websocket"
    assert client.event("stream-room-messages", rid, where=lambda a: a[0]["_id"] == sent["_id"])[0] == sent

    # Outsiders are refused with the service's error.
    _, outsider = create_agent(api)
    refused = reply(call(outsider, "sendMessage", {"rid": rid, "msg": "hijack"}))
    assert refused["error"]["error"] == "error-not-allowed"
    assert reply(call(agent, "sendMessage", "not an object"))["error"]["reason"] == "Match failed"

    send(api, visitor["token"], rid, "visitor line")
    history = reply(call(agent, "loadHistory", rid, None, 2))["result"]
    assert [item["msg"] for item in history["messages"]] == ["visitor line", "from the websocket"]
    assert isinstance(history["messages"][0]["ts"]["$date"], int)
    end = history["messages"][1]["ts"]
    older = reply(call(agent, "loadHistory", rid, end, 50))["result"]["messages"]
    assert [(item.get("t"), item["msg"]) for item in older][:3] == [
        (None, "from method.call"),
        ("uj", user["username"]),
        ("command", "connected"),
    ]
    assert reply(call(outsider, "loadHistory", rid))["result"] is False
    assert reply(call(agent, "loadHistory", "no-such-room"))["result"] is False
    client.close()
    over_ddp.close()


def test_return_as_inquiry_puts_the_chat_back_in_the_queue(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    user, agent = create_agent(api)
    visitor = register_visitor(api)
    rid = open_room(api, visitor["token"])["_id"]
    take(api, agent, rid)
    client = widget(api.base_url, visitor["token"])
    follow_room(client, rid, visitor["token"])
    queue = logged_in(api.base_url, agent.client.headers)
    queue.subscribed("stream-livechat-inquiry-queue-observer", "public")

    assert reply(call(agent, "livechat:returnAsInquiry", rid)) == {"msg": "result", "id": "42", "result": True}
    assert client.event("stream-livechat-room", rid, where=lambda a: a[0]["type"] == "agentData") == [
        {"type": "agentData", "data": None}
    ]
    left = client.event("stream-room-messages", rid, where=lambda a: a[0].get("t") == "ul")
    assert left[0]["msg"] == user["username"]
    history = client.event("stream-room-messages", rid, where=lambda a: a[0].get("t") == "livechat_transfer_history")
    assert history[0]["transferData"]["scope"] == "queue"
    assert history[0]["transferData"]["transferredBy"]["_id"] == user["_id"]
    requeued = queue.event(
        "stream-livechat-inquiry-queue-observer", "public", where=lambda a: a[0]["status"] == "queued"
    )
    assert requeued[0]["rid"] == rid
    room = api.get("rooms.info", params={"roomId": rid}).json()["room"]
    assert "servedBy" not in room
    assert agent.get("subscriptions.getOne", params={"roomId": rid}).json()["subscription"] is None
    # Nobody serves it now: nothing to return.
    assert reply(call(agent, "livechat:returnAsInquiry", rid))["result"] is False
    # It can be taken again.
    take(api, agent, rid)
    again = client.event("stream-livechat-room", rid, where=lambda a: a[0]["type"] == "agentData")
    assert again[0]["data"]["_id"] == user["_id"]

    plain = api.as_user(api.login(api.create_user()["username"]))
    assert reply(call(plain, "livechat:returnAsInquiry", rid))["error"] == {
        "isClientSafe": True,
        "error": "error-not-allowed",
        "reason": "Not allowed",
        "details": {"method": "livechat:returnAsInquiry"},
        "message": "Not allowed [error-not-allowed]",
        "errorType": "Meteor.Error",
    }
    assert reply(call(agent, "livechat:returnAsInquiry", "nope"))["error"]["error"] == "error-invalid-room"
    assert agent.post("livechat/room.closeByUser", {"rid": rid}).status_code == 200
    assert reply(call(agent, "livechat:returnAsInquiry", rid))["error"]["error"] == "room-closed"
    client.close()
    queue.close()


def test_typing_sent_through_method_call_anon(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    _, agent = create_agent(api)
    visitor = register_visitor(api)
    rid = open_room(api, visitor["token"])["_id"]
    take(api, agent, rid)
    agent_client = logged_in(api.base_url, agent.client.headers)
    agent_client.subscribed("stream-notify-room", f"{rid}/typing")
    args = [f"{rid}/typing", visitor["username"], True, {"token": visitor["token"]}]
    assert reply(call(api.anonymous(), "stream-notify-room", *args, anonymous=True)) == {"msg": "result", "id": "42"}
    assert agent_client.event("stream-notify-room", f"{rid}/typing") == args[1:]
    agent_client.close()


def test_message_dates_are_ejson(api: Api) -> None:
    visitor = register_visitor(api)
    rid = open_room(api, visitor["token"])["_id"]
    stored = send(api, visitor["token"], rid, "2024-01-01T00:00:00.000Z")
    manager = logged_in(api.base_url, api.client.headers)
    history = manager.call("loadHistory", rid)
    assert history["messages"][0]["msg"] == "2024-01-01T00:00:00.000Z"
    assert history["messages"][0]["ts"] == ms(stored["ts"])
    manager.close()
