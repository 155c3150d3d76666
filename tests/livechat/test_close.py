"""Closing conversations: by the visitor (room.close) and by an agent (room.closeByUser)."""

from tests.livechat.steps import (
    close_by_agent,
    create_agent,
    fetch_inquiry,
    open_room,
    register_visitor,
    room_info,
    set_setting,
)
from tests.support import Api


def test_the_visitor_closes_their_room(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])

    response = api.anonymous().post("livechat/room.close", {"token": visitor["token"], "rid": room["_id"]})

    assert response.status_code == 200
    assert response.json() == {"rid": room["_id"], "comment": "Closed by visitor", "success": True}
    closed = room_info(api, room["_id"])
    assert "open" not in closed
    assert closed["closer"] == "visitor"
    assert closed["closedBy"] == {"_id": visitor["_id"], "username": visitor["username"]}
    assert closed["lastMessage"]["t"] == "livechat-close"
    assert closed["lastMessage"]["token"] == visitor["token"]
    assert closed["v"]["status"] == "offline"
    assert fetch_inquiry(api, room["_id"]) is None


def test_visitor_close_errors(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    anon = api.anonymous()

    assert anon.post("livechat/room.close", {"token": visitor["token"]}).json() == {
        "success": False,
        "error": "must have required property 'rid' [invalid-params]",
        "errorType": "invalid-params",
    }
    assert anon.post("livechat/room.close", {"token": "nobody", "rid": room["_id"]}).json() == {
        "success": False,
        "error": "invalid-token",
    }
    assert anon.post("livechat/room.close", {"token": visitor["token"], "rid": "nope"}).json() == {
        "success": False,
        "error": "invalid-room",
    }
    anon.post("livechat/room.close", {"token": visitor["token"], "rid": room["_id"]})
    assert anon.post("livechat/room.close", {"token": visitor["token"], "rid": room["_id"]}).json() == {
        "success": False,
        "error": "room-closed",
    }


def test_an_agent_closes_a_room_with_comment_and_tags(api: Api) -> None:
    user, agent = create_agent(api)
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    assert room["servedBy"]["_id"] == user["_id"]

    response = agent.post("livechat/room.closeByUser", {"rid": room["_id"], "comment": "All done", "tags": ["sale"]})

    assert response.status_code == 200
    assert response.json() == {"success": True}
    closed = room_info(api, room["_id"])
    assert "open" not in closed
    assert isinstance(closed["closedAt"], str)
    assert closed["closer"] == "user"
    assert closed["closedBy"] == {"_id": user["_id"], "username": user["username"]}
    assert closed["tags"] == ["sale"]
    assert closed["lastMessage"]["msg"] == "All done"
    assert closed["lastMessage"]["u"] == {"_id": user["_id"], "username": user["username"]}
    assert agent.get("subscriptions.getOne", params={"roomId": room["_id"]}).json()["subscription"] is None


def test_an_admin_closes_rooms_it_does_not_serve(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])

    close_by_agent(api, room["_id"])

    assert room_info(api, room["_id"])["closedBy"]["_id"] == api.client.headers["X-User-Id"]


def test_an_agent_may_not_close_rooms_of_others(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    _, agent = create_agent(api)
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])

    response = agent.post("livechat/room.closeByUser", {"rid": room["_id"]})

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "error-not-authorized"}


def test_agent_close_errors(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    close_by_agent(api, room["_id"])

    assert api.post("livechat/room.closeByUser", {"rid": "nope"}).json() == {
        "success": False,
        "error": "error-invalid-room",
    }
    assert api.post("livechat/room.closeByUser", {"rid": room["_id"]}).json() == {
        "success": False,
        "error": "error-room-already-closed",
    }
    assert api.post("livechat/room.closeByUser", {"rid": room["_id"], "x": 1}).json() == {
        "success": False,
        "error": "must NOT have additional properties [invalid-params]",
        "errorType": "invalid-params",
    }
    assert api.anonymous().post("livechat/room.closeByUser", {"rid": room["_id"]}).status_code == 401


def test_a_comment_can_be_required(api: Api) -> None:
    set_setting(api, "Livechat_request_comment_when_closing_conversation", True)
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])

    refused = api.post("livechat/room.closeByUser", {"rid": room["_id"], "comment": "  "})
    accepted = api.post("livechat/room.closeByUser", {"rid": room["_id"], "comment": "Bye"})

    assert refused.json() == {"success": False, "error": "error-comment-is-required"}
    assert accepted.status_code == 200
