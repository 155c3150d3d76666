"""The widget's calls about one visitor: page.visited, visitor.status, visitor.callStatus and
GET/PUT/DELETE livechat/message/:_id. A token only ever reaches its own visitor's rooms."""

from typing import Any

from tests.livechat.steps import close_by_agent, new_token, open_room, register_visitor, send, set_setting
from tests.support import Api

PAGE = {"change": "url", "title": "Pricing", "location": {"href": "https://shop.example/pricing"}}


def _history(api: Api, token: str, rid: str) -> list[dict[str, Any]]:
    response = api.anonymous().get(f"livechat/messages.history/{rid}", params={"token": token})
    assert response.status_code == 200, response.text
    return response.json()["messages"]  # type: ignore[no-any-return]


# --- page.visited ----------------------------------------------------------------------------------


def test_page_visited_in_the_visitors_room_is_a_hidden_navigation_message(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    response = api.anonymous().post(
        "livechat/page.visited", {"token": visitor["token"], "rid": room["_id"], "pageInfo": PAGE}
    )
    assert response.status_code == 200
    page = {"msg": "Pricing - https://shop.example/pricing", "navigation": {"page": PAGE, "token": visitor["token"]}}
    assert response.json() == {"page": page, "success": True}
    notes = [m for m in _history(api, visitor["token"], room["_id"]) if m.get("t") == "livechat_navigation_history"]
    assert len(notes) == 1
    assert notes[0]["msg"] == "Pricing - https://shop.example/pricing"
    assert notes[0]["navigation"] == page["navigation"]
    assert notes[0]["_hidden"] is True
    assert notes[0]["u"] == {"_id": "rocket.cat", "username": "rocket.cat"}


def test_page_visited_shown_as_a_message_when_the_setting_says_so(api: Api) -> None:
    set_setting(api, "Livechat_Visitor_navigation_as_a_message", True)
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    api.anonymous().post("livechat/page.visited", {"token": visitor["token"], "rid": room["_id"], "pageInfo": PAGE})
    notes = [m for m in _history(api, visitor["token"], room["_id"]) if m.get("t") == "livechat_navigation_history"]
    assert len(notes) == 1 and "_hidden" not in notes[0]


def test_page_visited_never_writes_into_another_visitors_room(api: Api) -> None:
    owner = register_visitor(api)
    room = open_room(api, owner["token"])
    intruder = register_visitor(api)
    response = api.anonymous().post(
        "livechat/page.visited", {"token": intruder["token"], "rid": room["_id"], "pageInfo": PAGE}
    )
    # Answered as for a visitor without a room: kept under the intruder's token only.
    assert response.status_code == 200 and response.json()["page"]["navigation"]["token"] == intruder["token"]
    assert [m for m in _history(api, owner["token"], room["_id"]) if m.get("t") == "livechat_navigation_history"] == []


def test_page_visited_before_any_room_and_other_kinds_of_change(api: Api) -> None:
    anon = api.anonymous()
    stored = anon.post("livechat/page.visited", {"token": new_token(), "rid": "nowhere", "pageInfo": PAGE})
    assert stored.status_code == 200 and stored.json()["page"]["msg"] == "Pricing - https://shop.example/pricing"
    other = anon.post("livechat/page.visited", {"token": "t", "pageInfo": {**PAGE, "change": "title"}})
    assert other.json() == {"success": True}


def test_page_visited_validation(api: Api) -> None:
    anon = api.anonymous()
    missing = anon.post("livechat/page.visited", {})
    assert (missing.status_code, missing.json()["error"]) == (
        400,
        "must have required property 'token' [invalid-params]",
    )
    bad_rid = anon.post("livechat/page.visited", {"token": "t", "rid": {}, "pageInfo": PAGE})
    assert bad_rid.status_code == 400 and bad_rid.json()["success"] is False
    empty_page = anon.post("livechat/page.visited", {"token": "t", "rid": "r", "pageInfo": {}})
    assert empty_page.json()["error"] == "must have required property 'title' [invalid-params]"
    too_long = anon.post(
        "livechat/page.visited", {"token": "t", "pageInfo": {**PAGE, "location": {"href": "x" * 5000}}}
    )
    assert too_long.json()["error"] == "must NOT have more than 4096 characters [invalid-params]"


# --- visitor.status and visitor.callStatus -------------------------------------------------------------


def test_visitor_status_reaches_open_rooms_and_inquiries(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    response = api.anonymous().post("livechat/visitor.status", {"token": visitor["token"], "status": "away"})
    assert response.json() == {"token": visitor["token"], "status": "away", "success": True}
    assert api.get("rooms.info", params={"roomId": room["_id"]}).json()["room"]["v"]["status"] == "away"
    inquiry = api.get("livechat/inquiries.getOne", params={"roomId": room["_id"]}).json()["inquiry"]
    assert inquiry["v"]["status"] == "away"


def test_visitor_status_errors(api: Api) -> None:
    anon = api.anonymous()
    response = anon.post("livechat/visitor.status", {"token": "nobody", "status": "away"})
    assert (response.status_code, response.json()) == (
        400,
        {"success": False, "error": "[invalid-token]", "errorType": "invalid-token"},
    )
    response = anon.post("livechat/visitor.status", {"token": "nobody"})
    assert response.json()["error"] == "must have required property 'status' [invalid-params]"


def test_call_status_answers_as_with_calls_disabled(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    body = {"token": visitor["token"], "rid": room["_id"], "callStatus": "going", "callId": "c1"}
    response = api.anonymous().post("livechat/visitor.callStatus", body)
    assert response.json() == {"token": visitor["token"], "callStatus": "going", "success": True}
    assert api.get("rooms.info", params={"roomId": room["_id"]}).json()["room"]["callStatus"] == "going"
    other = register_visitor(api)
    api.anonymous().post("livechat/visitor.callStatus", {**body, "token": other["token"], "callStatus": "ended"})
    assert api.get("rooms.info", params={"roomId": room["_id"]}).json()["room"]["callStatus"] == "going"


def test_call_status_errors(api: Api) -> None:
    anon = api.anonymous()
    for body, missing in [
        ({}, "token"),
        ({"token": "t"}, "callStatus"),
        ({"token": "t", "rid": "r", "callStatus": "s"}, "callId"),
    ]:
        response = anon.post("livechat/visitor.callStatus", body)
        assert response.status_code == 400
        assert response.json()["error"] == f"must have required property '{missing}' [invalid-params]"
    response = anon.post("livechat/visitor.callStatus", {"token": 12, "rid": "r", "callStatus": "s", "callId": "c"})
    assert response.json()["success"] is False
    response = anon.post("livechat/visitor.callStatus", {"token": "no", "rid": "r", "callStatus": "s", "callId": "c"})
    assert response.json() == {"success": False, "error": "[invalid-token]", "errorType": "invalid-token"}


# --- the visitor's own messages -----------------------------------------------------------------------


def test_get_edit_delete_own_message(api: Api) -> None:
    visitor = register_visitor(api)
    token = visitor["token"]
    room = open_room(api, token)
    message = send(api, token, room["_id"], "helo")
    anon = api.anonymous()
    got = anon.get(f"livechat/message/{message['_id']}", params={"token": token, "rid": room["_id"]})
    assert got.status_code == 200 and got.json()["message"]["msg"] == "helo"

    edited = anon.raw(
        "PUT", f"/api/v1/livechat/message/{message['_id']}", json={"token": token, "rid": room["_id"], "msg": "hello"}
    )
    assert edited.status_code == 200
    body = edited.json()["message"]
    assert (body["_id"], body["msg"]) == (message["_id"], "hello")
    assert body["editedBy"] == {"_id": visitor["_id"], "username": visitor["username"]}
    assert "editedAt" in body
    assert api.get("rooms.info", params={"roomId": room["_id"]}).json()["room"]["lastMessage"]["msg"] == "hello"

    deleted = anon.raw(
        "DELETE", f"/api/v1/livechat/message/{message['_id']}", json={"token": token, "rid": room["_id"]}
    )
    assert deleted.status_code == 200
    assert deleted.json()["message"]["_id"] == message["_id"]
    assert set(deleted.json()["message"]) == {"_id", "ts"}
    assert [m["_id"] for m in _history(api, token, room["_id"]) if not m.get("t")] == []
    assert "lastMessage" not in api.get("rooms.info", params={"roomId": room["_id"]}).json()["room"]


def test_message_errors(api: Api) -> None:
    anon = api.anonymous()
    visitor = register_visitor(api)
    other = register_visitor(api)
    room = open_room(api, visitor["token"])
    message = send(api, visitor["token"], room["_id"], "mine")
    path = f"/api/v1/livechat/message/{message['_id']}"
    assert anon.raw("GET", path).json()["error"] == "must have required property 'token' [invalid-params]"
    assert anon.raw("GET", path, params={"token": "t"}).json()["error"] == (
        "must have required property 'rid' [invalid-params]"
    )
    assert anon.raw("GET", path, params={"token": "t", "rid": "r"}).json() == {
        "success": False,
        "error": "invalid-token",
    }
    assert anon.raw("GET", path, params={"token": visitor["token"], "rid": "r"}).json()["error"] == "invalid-room"
    # The other visitor reaches neither the room nor the message.
    for method in ("GET", "DELETE"):
        kwargs: dict[str, Any] = {
            "params" if method == "GET" else "json": {"token": other["token"], "rid": room["_id"]}
        }
        response = anon.raw(method, path, **kwargs)
        assert (response.status_code, response.json()["error"]) == (400, "invalid-room")
    put = anon.raw("PUT", path, json={"token": other["token"], "rid": room["_id"], "msg": "x"})
    assert put.json()["error"] == "invalid-room"
    unknown = anon.raw("GET", "/api/v1/livechat/message/nope", params={"token": visitor["token"], "rid": room["_id"]})
    assert unknown.json() == {"success": False, "error": "invalid-message"}
    assert anon.raw("DELETE", path).json()["error"] == "must have required property 'token' [invalid-params]"


def test_edit_and_delete_follow_the_settings_and_authorship(api: Api) -> None:
    visitor = register_visitor(api)
    token = visitor["token"]
    room = open_room(api, token)
    message = send(api, token, room["_id"], "mine")
    anon = api.anonymous()
    path = f"/api/v1/livechat/message/{message['_id']}"
    set_setting(api, "Message_AllowEditing", False)
    response = anon.raw("PUT", path, json={"token": token, "rid": room["_id"], "msg": "x"})
    assert (response.status_code, response.json()) == (
        400,
        {
            "success": False,
            "error": "Message editing not allowed [error-action-not-allowed]",
            "errorType": "error-action-not-allowed",
            "details": {"method": "livechatUpdateMessage"},
        },
    )
    set_setting(api, "Message_AllowDeleting", False)
    response = anon.raw("DELETE", path, json={"token": token, "rid": room["_id"]})
    assert response.json()["error"] == "Message deleting not allowed [error-action-not-allowed]"
    # The system's own notes in the room are not the visitor's to change.
    set_setting(api, "Message_AllowDeleting", True)
    started = next(m for m in _history(api, token, room["_id"]) if m.get("t") == "livechat-started")
    response = anon.raw(
        "DELETE", f"/api/v1/livechat/message/{started['_id']}", json={"token": token, "rid": room["_id"]}
    )
    assert response.json()["errorType"] == "error-action-not-allowed"


def test_closed_room_messages_stay_readable(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    message = send(api, visitor["token"], room["_id"], "before close")
    close_by_agent(api, room["_id"])
    response = api.anonymous().get(
        f"livechat/message/{message['_id']}", params={"token": visitor["token"], "rid": room["_id"]}
    )
    assert response.json()["message"]["msg"] == "before close"
