"""What an agent's client sees after a resume login: its rooms, its subscriptions, the queue."""

from typing import Any

from tests.livechat.steps import create_agent, open_room, register_visitor, send, set_setting
from tests.realtime.ddp import Ddp
from tests.realtime.steps import logged_in, ms, take
from tests.support import Api, RunningServer

NOT_ALLOWED = {"isClientSafe": True, "error": "not-allowed", "message": "[not-allowed]", "errorType": "Meteor.Error"}


def test_login_with_the_rest_token_resumes_the_session(api: Api, server: RunningServer) -> None:
    client = Ddp(api.base_url).handshake()
    login = api.anonymous().post("login", {"user": "admin.test", "password": "admin.test.password"}).json()["data"]
    result = client.login(login["authToken"])
    assert set(result) == {"id", "token", "tokenExpires", "type"}
    assert result["id"] == server.admin_id
    assert result["token"] == login["authToken"]
    assert result["type"] == "resume"
    assert isinstance(result["tokenExpires"]["$date"], int)
    client.close()


def test_login_with_an_unknown_or_logged_out_token_is_refused(api: Api) -> None:
    logged_out = {
        "isClientSafe": True,
        "error": 403,
        "reason": "You've been logged out by the server. Please log in again.",
        "message": "You've been logged out by the server. Please log in again. [403]",
        "errorType": "Meteor.Error",
    }
    client = Ddp(api.base_url).handshake()
    result, _ = client.call_raw("login", {"resume": "not-a-token"})
    assert result["error"] == logged_out
    user = api.create_user()
    headers = api.login(user["username"])
    assert api.as_user(headers).post("logout").status_code == 200
    result, _ = client.call_raw("login", {"resume": headers["X-Auth-Token"]})
    assert result["error"] == logged_out
    result, _ = client.call_raw("login", {"user": {"username": "x"}, "password": "y"})
    assert result["error"]["reason"] == "Unrecognized options for login request"
    # Still anonymous: user streams stay closed.
    _, frame = client.sub("stream-notify-user", f"{user['_id']}/subscriptions-changed")
    assert frame["error"] == NOT_ALLOWED
    client.close()


def test_a_user_follows_only_their_own_user_stream(api: Api) -> None:
    user = api.create_user()
    other = api.create_user()
    client = logged_in(api.base_url, api.login(user["username"]))
    client.subscribed("stream-notify-user", f"{user['_id']}/rooms-changed")
    for event in (f"{other['_id']}/rooms-changed", f"{user['_id']}/no-such-event"):
        sub_id, frame = client.sub("stream-notify-user", event)
        assert frame == {"msg": "nosub", "id": sub_id, "error": NOT_ALLOWED}
    client.close()


def test_an_agent_without_access_to_a_room_is_refused(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    _, serving_agent = create_agent(api)
    _, other_agent = create_agent(api)
    rid = open_room(api, register_visitor(api)["token"])["_id"]
    plain_user = api.as_user(api.login(api.create_user()["username"]))
    # While the room waits in the queue every agent may look at it; a plain user may not.
    waiting = logged_in(api.base_url, plain_user.client.headers)
    _, frame = waiting.sub("stream-room-messages", rid)
    assert frame["error"] == NOT_ALLOWED
    take(api, serving_agent, rid)
    outsider = logged_in(api.base_url, other_agent.client.headers)
    for stream, event in (
        ("stream-room-messages", rid),
        ("stream-notify-room", f"{rid}/typing"),
        ("stream-livechat-room", rid),
    ):
        sub_id, frame = outsider.sub(stream, event)
        assert frame == {"msg": "nosub", "id": sub_id, "error": NOT_ALLOWED}
    serving_client = logged_in(api.base_url, serving_agent.client.headers)
    serving_client.subscribed("stream-room-messages", rid)
    # A manager (view-livechat-rooms) may read every room.
    manager = logged_in(api.base_url, api.client.headers)
    manager.subscribed("stream-room-messages", rid)
    for client in (waiting, outsider, serving_client, manager):
        client.close()


def _is(kind: str, **where: Any) -> Any:
    return lambda args: args[0] == kind and all(args[1].get(key) == value for key, value in where.items())


def test_an_agent_hears_of_new_chats_and_new_messages_without_polling(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    user, agent = create_agent(api)
    client = logged_in(api.base_url, agent.client.headers)
    client.subscribed("stream-livechat-inquiry-queue-observer", "public")
    client.subscribed("stream-notify-user", f"{user['_id']}/subscriptions-changed")
    client.subscribed("stream-notify-user", f"{user['_id']}/rooms-changed")

    visitor = register_visitor(api, name="Queued Quinn")
    rid = open_room(api, visitor["token"])["_id"]
    queued = client.event("stream-livechat-inquiry-queue-observer", "public")
    assert queued[0]["type"] == "changed"
    assert queued[0]["rid"] == rid
    assert queued[0]["status"] == "queued"
    assert queued[0]["name"] == "Queued Quinn"
    assert isinstance(queued[0]["queuedAt"]["$date"], int)

    take(api, agent, rid)
    taken = client.event(
        "stream-livechat-inquiry-queue-observer", "public", where=lambda a: a[0].get("status") == "taken"
    )
    assert taken[0]["rid"] == rid
    subscription = client.event("stream-notify-user", f"{user['_id']}/subscriptions-changed")
    assert subscription[0] == "updated"
    assert subscription[1]["rid"] == rid
    assert subscription[1]["u"] == {"_id": user["_id"], "username": user["username"]}
    room = client.event("stream-notify-user", f"{user['_id']}/rooms-changed")
    assert room[0] == "updated"
    assert room[1]["_id"] == rid
    assert room[1]["servedBy"]["_id"] == user["_id"]
    assert room[1]["servedBy"]["ts"] == ms(
        api.get("rooms.info", params={"roomId": rid}).json()["room"]["servedBy"]["ts"]
    )

    send(api, visitor["token"], rid, "one more thing")
    unread = client.event(
        "stream-notify-user", f"{user['_id']}/subscriptions-changed", where=lambda a: a[1].get("unread") == 2
    )
    assert unread[1]["alert"] is True
    last = client.event(
        "stream-notify-user",
        f"{user['_id']}/rooms-changed",
        where=lambda a: (a[1].get("lastMessage") or {}).get("msg") == "one more thing",
    )
    assert last[1]["lastMessage"]["ts"]["$date"] == last[1]["lm"]["$date"]

    assert agent.post("livechat/room.closeByUser", {"rid": rid}).status_code == 200
    removed = client.event(
        "stream-notify-user", f"{user['_id']}/subscriptions-changed", where=lambda a: a[0] == "removed"
    )
    assert removed == ["removed", {"rid": rid, "u": {"_id": user["_id"]}}]
    client.close()


def test_the_queue_is_for_agents_only(api: Api) -> None:
    plain = logged_in(api.base_url, api.login(api.create_user()["username"]))
    sub_id, frame = plain.sub("stream-livechat-inquiry-queue-observer", "public")
    assert frame == {"msg": "nosub", "id": sub_id, "error": NOT_ALLOWED}
    _, agent = create_agent(api)
    agent_client = logged_in(api.base_url, agent.client.headers)
    _, frame = agent_client.sub("stream-livechat-inquiry-queue-observer", "department/x")
    assert frame["error"] == NOT_ALLOWED
    plain.close()
    agent_client.close()


def test_a_logout_elsewhere_ends_the_login_on_the_socket(api: Api) -> None:
    user = api.create_user()
    headers = api.login(user["username"])
    client = logged_in(api.base_url, headers)
    client.subscribed("stream-notify-user", f"{user['_id']}/rooms-changed")
    assert api.as_user(headers).post("logout").status_code == 200
    _, frame = client.sub("stream-notify-user", f"{user['_id']}/subscriptions-changed")
    assert frame["error"] == NOT_ALLOWED
    result, _ = client.call_raw("loadHistory", "any")
    assert result["error"]["error"] == "error-invalid-user"
    client.close()


def test_my_messages_brings_the_messages_of_the_users_rooms_only(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    _, agent = create_agent(api)
    _, other_agent = create_agent(api)
    mine = register_visitor(api)
    theirs = register_visitor(api)
    my_room = open_room(api, mine["token"])["_id"]
    their_room = open_room(api, theirs["token"])["_id"]
    take(api, agent, my_room)
    take(api, other_agent, their_room)
    client = logged_in(api.base_url, agent.client.headers)
    client.subscribed("stream-room-messages", "__my_messages__")
    send(api, theirs["token"], their_room, "not for you")
    send(api, mine["token"], my_room, "for you")
    args = client.event("stream-room-messages", my_room)
    assert args[0]["msg"] == "for you"
    client.nothing_matching(lambda f: f.get("fields", {}).get("eventName") == their_room)
    client.close()
