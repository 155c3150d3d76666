"""Messages: the visitor writes (livechat/message), reads back (messages.history), and agents
read the transcript (livechat/:rid/messages)."""

from tests.livechat.steps import close_by_agent, create_agent, open_room, register_visitor, room_info, send
from tests.support import Api


def test_a_visitor_message_is_stored_and_becomes_the_last_message(api: Api) -> None:
    visitor = register_visitor(api, name="Writer")
    room = open_room(api, visitor["token"])

    response = api.anonymous().post("livechat/message", {"token": visitor["token"], "rid": room["_id"], "msg": "Hi"})

    assert response.status_code == 200
    message = response.json()["message"]
    assert message["msg"] == "Hi"
    assert message["rid"] == room["_id"]
    assert message["token"] == visitor["token"]
    assert message["alias"] == "Writer"
    assert message["u"] == {"_id": visitor["_id"], "username": visitor["username"], "name": "Writer"}
    assert "t" not in message
    info = room_info(api, room["_id"])
    assert info["lastMessage"] == message
    assert info["lm"] == message["ts"]
    # The `livechat-started` note counts too.
    assert info["msgs"] == 2


def test_a_client_chosen_id_is_kept_and_not_stored_twice(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    body = {"token": visitor["token"], "rid": room["_id"], "msg": "once", "_id": "client-msg-1"}

    first = api.anonymous().post("livechat/message", body).json()["message"]
    second = api.anonymous().post("livechat/message", {**body, "msg": "twice"}).json()["message"]

    assert first["_id"] == "client-msg-1"
    assert second == first
    assert room_info(api, room["_id"])["msgs"] == 2


def test_message_errors(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    other = register_visitor(api)
    anon = api.anonymous()

    missing = anon.post("livechat/message", {"token": visitor["token"], "rid": room["_id"]})
    assert missing.status_code == 400
    assert missing.json() == {
        "success": False,
        "error": "must have required property 'msg' [invalid-params]",
        "errorType": "invalid-params",
    }
    assert anon.post("livechat/message", {"token": "nobody", "rid": room["_id"], "msg": "x"}).json() == {
        "success": False,
        "error": "invalid-token",
    }
    # Someone else's room is no room of yours.
    assert anon.post("livechat/message", {"token": other["token"], "rid": room["_id"], "msg": "x"}).json() == {
        "success": False,
        "error": "invalid-room",
    }
    close_by_agent(api, room["_id"])
    assert anon.post("livechat/message", {"token": visitor["token"], "rid": room["_id"], "msg": "x"}).json() == {
        "success": False,
        "error": "room-closed",
    }


def test_history_is_newest_first_with_system_messages(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    send(api, visitor["token"], room["_id"], "Hello")

    response = api.anonymous().get(f"livechat/messages.history/{room['_id']}", params={"token": visitor["token"]})

    assert response.status_code == 200
    found = response.json()["messages"]
    assert [message.get("t") for message in found] == [None, "livechat-started"]
    assert found[0]["msg"] == "Hello"
    started = found[1]
    assert started["u"] == {"_id": visitor["_id"], "username": visitor["username"]}
    assert started["token"] == visitor["token"]
    assert started["groupable"] is False


def test_history_pages_with_limit_and_offset_and_reads_closed_rooms(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    for text in ("one", "two", "three"):
        send(api, visitor["token"], room["_id"], text)
    close_by_agent(api, room["_id"], comment="done")

    page = api.anonymous().get(
        f"livechat/messages.history/{room['_id']}", params={"token": visitor["token"], "limit": 2, "offset": 1}
    )

    assert [message["msg"] for message in page.json()["messages"]] == ["three", "two"]


def test_history_errors(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])

    missing = api.anonymous().get(f"livechat/messages.history/{room['_id']}")
    unknown = api.anonymous().get(f"livechat/messages.history/{room['_id']}", params={"token": "nobody"})

    assert missing.json() == {
        "success": False,
        "error": "must have required property 'token' [invalid-params]",
        "errorType": "invalid-params",
    }
    assert unknown.json() == {"success": False, "error": "invalid-token"}


def test_transcript_shows_what_people_wrote_and_the_closing_note(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    for text in ("first", "second"):
        send(api, visitor["token"], room["_id"], text)
    close_by_agent(api, room["_id"], comment="Solved")

    response = api.get(f"livechat/{room['_id']}/messages")

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["messages", "offset", "count", "total", "success"]
    assert [message["msg"] for message in body["messages"]] == ["Solved", "second", "first"]
    assert body["messages"][0]["t"] == "livechat-close"
    assert body["total"] == 3
    assert body["offset"] == 0
    assert body["count"] == 50


def test_transcript_pages_sorts_and_searches_literally(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    for text in ("Price (EUR)?", "the price is 5", "no match", "PRICE.*"):
        send(api, visitor["token"], room["_id"], text)
    url = f"livechat/{room['_id']}/messages"

    oldest_first = api.get(url, params={"sort": '{"ts": 1}', "count": 2, "offset": 1}).json()
    searched = api.get(url, params={"searchTerm": "price"}).json()
    literal = api.get(url, params={"searchTerm": "(eur)"}).json()
    pattern = api.get(url, params={"searchTerm": ".*"}).json()

    assert [message["msg"] for message in oldest_first["messages"]] == ["the price is 5", "no match"]
    assert oldest_first["total"] == 4
    assert [message["msg"] for message in searched["messages"]] == ["PRICE.*", "the price is 5", "Price (EUR)?"]
    assert searched["total"] == 3
    assert [message["msg"] for message in literal["messages"]] == ["Price (EUR)?"]
    assert [message["msg"] for message in pattern["messages"]] == ["PRICE.*"]


def test_transcript_needs_auth_permission_and_access(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    url = f"livechat/{room['_id']}/messages"
    plain_user = api.as_user(api.login(api.create_user()["username"]))
    _, agent = create_agent(api, available=False)
    close_by_agent(api, room["_id"])

    assert api.anonymous().get(url).status_code == 401
    forbidden = plain_user.get(url)
    assert forbidden.status_code == 403
    assert forbidden.json() == {
        "success": False,
        "error": "User does not have the permissions required for this action [error-unauthorized]",
    }
    # An agent who never served this closed room may not read it.
    assert agent.get(url).json() == {"success": False, "error": "not-allowed"}
    assert api.get("livechat/unknown-room/messages").json() == {"success": False, "error": "invalid-room"}


def test_messages_written_within_one_millisecond_keep_their_order(api: Api) -> None:
    """The wire keeps milliseconds only; a burst of messages must still read back in the order
    it was written, each with its own time."""
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    texts = [f"line {number}" for number in range(25)]
    sent = [send(api, visitor["token"], room["_id"], text) for text in texts]

    stamps = [message["ts"] for message in sent]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)
    history = api.anonymous().get(
        "livechat/messages.history/" + room["_id"], params={"token": visitor["token"], "limit": 50}
    )
    assert [message["msg"] for message in history.json()["messages"] if "t" not in message] == texts[::-1]
    close_by_agent(api, room["_id"])
    closed = room_info(api, room["_id"])
    assert closed["closedAt"] > stamps[-1]
    assert closed["lastMessage"]["ts"] == closed["closedAt"]
