"""rooms.info and channels.info on livechat rooms."""

from tests.livechat.steps import close_by_agent, create_agent, open_room, register_visitor, set_setting
from tests.support import Api

NOT_FOUND = {
    "success": False,
    "error": 'The required "roomId" or "roomName" param provided does not match any channel [error-room-not-found]',
    "errorType": "error-room-not-found",
}


def test_channels_info_answers_the_room_under_channel(api: Api) -> None:
    room = open_room(api, register_visitor(api)["token"])
    close_by_agent(api, room["_id"], comment="bye")

    response = api.get("channels.info", params={"roomId": room["_id"]})

    assert response.status_code == 200
    channel = response.json()["channel"]
    assert channel["_id"] == room["_id"]
    assert channel["closedBy"]["username"] == "admin.test"
    assert channel["lastMessage"]["msg"] == "bye"
    assert "closedAt" in channel


def test_rooms_info_answers_the_room_under_room(api: Api) -> None:
    room = open_room(api, register_visitor(api)["token"])

    response = api.get("rooms.info", params={"roomId": room["_id"]})

    assert response.status_code == 200
    assert response.json()["room"] == room | {"msgs": response.json()["room"]["msgs"]}


def test_unknown_rooms_and_missing_parameters(api: Api) -> None:
    assert api.get("channels.info", params={"roomId": "nope"}).json() == NOT_FOUND
    assert api.get("rooms.info", params={"roomId": "nope"}).json() == NOT_FOUND
    assert api.get("rooms.info").json() == {
        "success": False,
        "error": 'The parameter "roomId" or "roomName" is required [error-roomid-param-not-provided]',
        "errorType": "error-roomid-param-not-provided",
    }
    missing = api.get("channels.info")
    assert missing.status_code == 400
    assert missing.json()["errorType"] == "error-invalid-params"
    assert api.anonymous().get("channels.info", params={"roomId": "nope"}).status_code == 401


def test_agents_read_queued_rooms_and_their_own_but_not_others(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    _, agent = create_agent(api)
    plain = api.as_user(api.login(api.create_user()["username"]))
    room = open_room(api, register_visitor(api)["token"])

    assert agent.get("rooms.info", params={"roomId": room["_id"]}).status_code == 200
    denied = plain.get("rooms.info", params={"roomId": room["_id"]})
    assert denied.status_code == 400
    assert denied.json() == {"success": False, "error": "not-allowed", "errorType": "Not Allowed"}
    # channels.info does not tell whether a room the caller may not read exists.
    assert plain.get("channels.info", params={"roomId": room["_id"]}).json() == NOT_FOUND
