"""What the widget sees: its room's messages, typing, agent and queue events, and nobody else's."""

from tests.livechat.steps import create_agent, open_room, register_visitor, send, set_setting
from tests.realtime.ddp import Ddp
from tests.realtime.steps import follow_room, logged_in, message_args, ms, take, widget
from tests.support import Api


def test_a_conversation_as_the_widget_sees_it(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    user, agent = create_agent(api)
    visitor = register_visitor(api, name="Wanda")
    token = visitor["token"]
    room = open_room(api, token, widget=True)
    rid = room["_id"]
    client = widget(api.base_url, token)
    follow_room(client, rid, token)

    take(api, agent, rid)
    event = client.event("stream-livechat-room", rid)
    assert event[0]["type"] == "agentData"
    assert event[0]["data"]["_id"] == user["_id"]
    assert event[0]["data"]["username"] == user["username"]
    assert event[0]["data"]["name"] == user["name"]
    assert event[0]["data"]["emails"] == user["emails"]
    joined = message_args(client, rid, t="uj")
    assert joined["msg"] == user["username"]
    assert joined["u"] == {"_id": user["_id"], "username": user["username"]}

    stored = send(api, token, rid, "Hello, anyone there?")
    echoed = message_args(client, rid, msg="Hello, anyone there?")
    assert echoed == {**stored, "ts": ms(stored["ts"]), "_updatedAt": ms(stored["_updatedAt"])}

    answer = agent.post("chat.sendMessage", {"message": {"rid": rid, "msg": "Yes, how can I help?"}}).json()["message"]
    echoed = message_args(client, rid, msg="Yes, how can I help?")
    assert echoed["_id"] == answer["_id"]
    assert echoed["u"] == {"_id": user["_id"], "username": user["username"], "name": user["name"]}
    assert echoed["ts"] == ms(answer["ts"])
    assert "token" not in echoed

    assert agent.post("livechat/room.closeByUser", {"rid": rid, "comment": "Bye"}).status_code == 200
    closing = message_args(client, rid, t="livechat-close")
    assert closing["msg"] == "Bye"
    assert isinstance(closing["ts"]["$date"], int)
    client.close()


def test_a_visitor_cannot_follow_another_visitors_room(api: Api) -> None:
    owner = register_visitor(api)
    intruder = register_visitor(api)
    rid = open_room(api, owner["token"])["_id"]
    client = widget(api.base_url, intruder["token"])
    not_allowed = {
        "isClientSafe": True,
        "error": "not-allowed",
        "message": "[not-allowed]",
        "errorType": "Meteor.Error",
    }
    stolen = {"token": intruder["token"], "visitorToken": intruder["token"]}
    for stream, event in (
        ("stream-room-messages", rid),
        ("stream-notify-room", f"{rid}/typing"),
        ("stream-livechat-room", rid),
    ):
        sub_id, frame = client.sub(stream, event, stolen)
        assert frame == {"msg": "nosub", "id": sub_id, "error": not_allowed}
        sub_id, frame = client.sub(stream, event)
        assert frame == {"msg": "nosub", "id": sub_id, "error": not_allowed}
    # A visitor reads no user streams and not the queue.
    sub_id, frame = client.sub("stream-livechat-inquiry-queue-observer", "public", stolen)
    assert frame["msg"] == "nosub"
    send(api, owner["token"], rid, "private")
    client.nothing_matching(lambda f: f.get("msg") == "changed")
    client.close()


def test_a_visitor_token_for_a_room_that_does_not_exist_is_refused(api: Api) -> None:
    visitor = register_visitor(api)
    client = widget(api.base_url, visitor["token"])
    _, frame = client.sub("stream-room-messages", "no-such-room", {"token": visitor["token"]})
    assert frame["msg"] == "nosub"
    assert frame["error"]["error"] == "not-allowed"
    client.close()


def test_typing_travels_both_ways_but_not_back_to_its_sender(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    user, agent = create_agent(api)
    visitor = register_visitor(api)
    token = visitor["token"]
    rid = open_room(api, token)["_id"]
    take(api, agent, rid)
    client = widget(api.base_url, token)
    follow_room(client, rid, token)
    agent_client = logged_in(api.base_url, agent.client.headers)
    agent_client.subscribed("stream-notify-room", f"{rid}/typing")

    assert client.call("stream-notify-room", f"{rid}/typing", visitor["username"], True, {"token": token}) is None
    assert agent_client.event("stream-notify-room", f"{rid}/typing") == [visitor["username"], True, {"token": token}]
    client.nothing_matching(lambda f: f.get("collection") == "stream-notify-room", wait=0.3)

    agent_client.call("stream-notify-room", f"{rid}/typing", user["username"], True)
    assert client.event("stream-notify-room", f"{rid}/typing") == [user["username"], True]
    agent_client.call("stream-notify-room", f"{rid}/typing", user["username"], False)
    assert client.event("stream-notify-room", f"{rid}/typing") == [user["username"], False]

    # user-activity, as newer clients send it, on its own event name.
    agent_client.subscribed("stream-notify-room", f"{rid}/user-activity")
    client.call("stream-notify-room", f"{rid}/user-activity", visitor["username"], ["user-typing"], {"token": token})
    assert agent_client.event("stream-notify-room", f"{rid}/user-activity") == [
        visitor["username"],
        ["user-typing"],
        {"token": token},
    ]
    client.close()
    agent_client.close()


def test_typing_under_someone_elses_name_or_token_is_dropped(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    user, agent = create_agent(api)
    visitor = register_visitor(api)
    other = register_visitor(api)
    rid = open_room(api, visitor["token"])["_id"]
    take(api, agent, rid)
    agent_client = logged_in(api.base_url, agent.client.headers)
    agent_client.subscribed("stream-notify-room", f"{rid}/typing")

    stranger = widget(api.base_url, other["token"])
    assert stranger.call("stream-notify-room", f"{rid}/typing", "someone", True, {"token": other["token"]}) is None
    anonymous = Ddp(api.base_url).handshake()
    anonymous.call("stream-notify-room", f"{rid}/typing", user["username"], True)
    # A logged-in user may type only as themselves.
    impostor = logged_in(api.base_url, api.client.headers)
    impostor.call("stream-notify-room", f"{rid}/typing", user["username"], True)
    agent_client.nothing_matching(lambda f: f.get("collection") == "stream-notify-room")
    for client in (stranger, anonymous, impostor, agent_client):
        client.close()


def test_queue_data_while_the_room_waits(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    visitor = register_visitor(api)
    token = visitor["token"]
    rid = open_room(api, token)["_id"]
    client = widget(api.base_url, token)
    follow_room(client, rid, token)
    send(api, token, rid, "still waiting")
    event = client.event("stream-livechat-room", rid)
    assert event[0]["type"] == "queueData"
    assert event[0]["data"]["rid"] == rid
    assert event[0]["data"]["status"] == "queued"
    assert event[0]["data"]["lastMessage"]["msg"] == "still waiting"
    assert isinstance(event[0]["data"]["ts"]["$date"], int)
    client.close()


def test_agent_status_reaches_the_rooms_the_agent_serves(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    _, agent = create_agent(api)
    visitor = register_visitor(api)
    token = visitor["token"]
    rid = open_room(api, token)["_id"]
    take(api, agent, rid)
    client = widget(api.base_url, token)
    follow_room(client, rid, token)
    assert agent.post("users.setStatus", {"message": "", "status": "away"}).status_code == 200
    assert client.event("stream-livechat-room", rid) == [{"type": "agentStatus", "status": "away"}]
    client.close()


def test_the_token_named_by_set_up_connection_serves_when_a_sub_carries_none(api: Api) -> None:
    visitor = register_visitor(api)
    rid = open_room(api, visitor["token"])["_id"]
    client = widget(api.base_url, visitor["token"])
    client.subscribed("stream-room-messages", rid)
    stored = send(api, visitor["token"], rid, "no args needed")
    assert message_args(client, rid, msg="no args needed")["_id"] == stored["_id"]
    anonymous = Ddp(api.base_url).handshake()
    _, frame = anonymous.sub("stream-room-messages", rid)
    assert frame["error"]["error"] == "not-allowed"
    client.close()
    anonymous.close()
