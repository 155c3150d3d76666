"""GET livechat/room: a visitor's open room, or a new one with its contact and inquiry."""

from concurrent.futures import ThreadPoolExecutor

from tests.livechat.steps import (
    WIDGET_COOKIES,
    close_by_agent,
    fetch_inquiry,
    new_token,
    open_room,
    register_visitor,
    set_setting,
)
from tests.support import Api


def test_a_new_room_belongs_to_a_new_unknown_contact(api: Api) -> None:
    visitor = register_visitor(api, name="Ana Costa", email="ana@example.com", phone="+15550001")

    response = api.anonymous().get("livechat/room", params={"token": visitor["token"]})

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["room", "newRoom", "success"]
    assert body["newRoom"] is True
    room = body["room"]
    assert room["t"] == "l"
    assert room["open"] is True
    assert room["fname"] == "Ana Costa"
    assert room["source"] == {"type": "api"}
    assert isinstance(room["contactId"], str)
    # The contact is also where Rocket.Chat 7 clients read it, under `v`.
    assert room["v"] == {
        "_id": visitor["_id"],
        "username": visitor["username"],
        "token": visitor["token"],
        "status": "online",
        "contactId": room["contactId"],
    }
    assert room["priorityWeight"] == 99
    assert room["estimatedWaitingTimeQueue"] == 9999999
    assert "servedBy" not in room


def test_the_open_room_is_returned_again(api: Api) -> None:
    visitor = register_visitor(api)
    first = open_room(api, visitor["token"])

    again = api.anonymous().get("livechat/room", params={"token": visitor["token"]}).json()
    by_id = api.anonymous().get("livechat/room", params={"token": visitor["token"], "rid": first["_id"]}).json()

    assert again["newRoom"] is False
    assert again["room"]["_id"] == first["_id"]
    assert by_id["newRoom"] is False
    assert by_id["room"]["_id"] == first["_id"]


def test_credentials_on_the_request_are_ignored(api: Api) -> None:
    visitor = register_visitor(api)

    response = api.get("livechat/room", params={"token": visitor["token"]})

    assert response.status_code == 200
    assert response.json()["room"]["v"]["_id"] == visitor["_id"]


def test_widget_cookies_make_a_widget_room_with_the_host_as_destination(api: Api) -> None:
    visitor = register_visitor(api)

    response = api.anonymous().get(
        "livechat/room", params={"token": visitor["token"]}, headers={**WIDGET_COOKIES, "Host": "chat.example.com"}
    )

    assert response.status_code == 200
    assert response.json()["room"]["source"] == {"type": "widget", "destination": "chat.example.com"}


def test_one_widget_cookie_alone_is_not_the_widget(api: Api) -> None:
    visitor = register_visitor(api)

    response = api.anonymous().get(
        "livechat/room", params={"token": visitor["token"]}, headers={"Cookie": "rc_is_widget=t"}
    )

    assert response.json()["room"]["source"] == {"type": "api"}


def test_unknown_token_and_unknown_room(api: Api) -> None:
    visitor = register_visitor(api)

    unknown_token = api.anonymous().get("livechat/room", params={"token": new_token()})
    unknown_room = api.anonymous().get("livechat/room", params={"token": visitor["token"], "rid": "nope"})

    assert unknown_token.status_code == 400
    assert unknown_token.json() == {"success": False, "error": "invalid-token"}
    assert unknown_room.status_code == 400
    assert unknown_room.json() == {"success": False, "error": "invalid-room"}


def test_a_closed_room_is_not_returned_by_id_and_a_new_one_opens(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    close_by_agent(api, room["_id"])

    by_id = api.anonymous().get("livechat/room", params={"token": visitor["token"], "rid": room["_id"]})
    fresh = api.anonymous().get("livechat/room", params={"token": visitor["token"]}).json()

    assert by_id.json() == {"success": False, "error": "invalid-room"}
    assert fresh["newRoom"] is True
    assert fresh["room"]["_id"] != room["_id"]
    assert fresh["room"]["contactId"] == room["contactId"]


def test_query_is_checked_like_meteor_check(api: Api) -> None:
    missing = api.anonymous().get("livechat/room")
    extra = api.anonymous().get("livechat/room", params={"token": "x", "other": "y"})

    assert missing.status_code == 400
    assert missing.json() == {"success": False, "error": "Match error: Missing key 'token'"}
    assert extra.json() == {"success": False, "error": "Match error: Unknown key in field other"}


def test_livechat_disabled_refuses_new_rooms_but_not_the_open_one(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    other = register_visitor(api)
    set_setting(api, "Livechat_enabled", False)

    refused = api.anonymous().get("livechat/room", params={"token": other["token"]})
    existing = api.anonymous().get("livechat/room", params={"token": visitor["token"]})

    assert refused.status_code == 400
    assert refused.json() == {
        "success": False,
        "error": "[error-omnichannel-is-disabled]",
        "errorType": "error-omnichannel-is-disabled",
    }
    assert existing.json()["room"]["_id"] == room["_id"]


def test_rooms_open_without_any_agent_and_queue(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    visitor = register_visitor(api, name="Queued Visitor")

    room = open_room(api, visitor["token"])
    inquiry = fetch_inquiry(api, room["_id"])

    assert inquiry is not None
    assert inquiry["status"] == "queued"
    assert inquiry["name"] == "Queued Visitor"
    assert inquiry["rid"] == room["_id"]
    assert inquiry["v"]["_id"] == visitor["_id"]
    assert inquiry["source"] == {"type": "api"}
    assert inquiry["t"] == "l"
    assert "queuedAt" in inquiry


def test_auto_selection_without_available_agents_leaves_the_inquiry_ready(api: Api) -> None:
    visitor = register_visitor(api)

    room = open_room(api, visitor["token"])

    inquiry = fetch_inquiry(api, room["_id"])
    assert inquiry is not None
    assert inquiry["status"] == "ready"
    assert "servedBy" not in room


def test_blocked_channel_refuses_new_rooms(api: Api) -> None:
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    association = {"visitorId": visitor["_id"], "source": {"type": "api"}}
    assert api.post("omnichannel/contacts.block", {"visitor": association}).status_code == 200

    refused = api.anonymous().get("livechat/room", params={"token": visitor["token"]})
    widget = api.anonymous().get("livechat/room", params={"token": visitor["token"]}, headers=WIDGET_COOKIES)

    assert refused.status_code == 400
    assert refused.json() == {"success": False, "error": "error-contact-channel-blocked"}
    # Blocking is per channel: the same visitor over the widget is another channel.
    assert widget.status_code == 200
    assert widget.json()["room"]["_id"] != room["_id"]


def test_concurrent_requests_of_one_visitor_open_one_room(api: Api) -> None:
    visitor = register_visitor(api)

    def request(_: int) -> str:
        client = api.anonymous()
        try:
            response = client.get("livechat/room", params={"token": visitor["token"]})
            assert response.status_code == 200, response.text
            return response.json()["room"]["_id"]  # type: ignore[no-any-return]
        finally:
            client.client.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        room_ids = set(pool.map(request, range(8)))

    assert len(room_ids) == 1
