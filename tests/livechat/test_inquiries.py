"""The queue: inquiries, their routing to agents, and the agents' subscriptions."""

from tests.livechat.steps import create_agent, fetch_inquiry, open_room, register_visitor, room_info, set_setting
from tests.support import Api


def test_manual_selection_an_agent_takes_the_inquiry(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    user, agent = create_agent(api)
    visitor = register_visitor(api, name="Queued")
    room = open_room(api, visitor["token"])
    inquiry = fetch_inquiry(api, room["_id"])
    assert inquiry is not None

    response = agent.post("livechat/inquiries.take", {"inquiryId": inquiry["_id"], "userId": user["_id"]})

    assert response.status_code == 200
    assert response.json() == {"success": True}
    taken = fetch_inquiry(api, room["_id"])
    assert taken is not None
    assert taken["status"] == "taken"
    assert "takenAt" in taken
    assert "queuedAt" not in taken
    served = room_info(api, room["_id"])
    assert served["servedBy"]["_id"] == user["_id"]
    assert served["servedBy"]["username"] == user["username"]
    assert served["usersCount"] == 2
    subscription = agent.get("subscriptions.getOne", params={"roomId": room["_id"]}).json()["subscription"]
    assert subscription["rid"] == room["_id"]
    assert subscription["u"] == {"_id": user["_id"], "username": user["username"]}
    assert subscription["name"] == subscription["fname"] == "Queued"
    assert subscription["t"] == "l"
    assert subscription["open"] is True
    assert subscription["v"] == {
        "_id": visitor["_id"],
        "username": visitor["username"],
        "token": visitor["token"],
        "status": "online",
    }
    transcript = agent.get(f"livechat/{room['_id']}/messages")
    assert transcript.status_code == 200


def test_take_errors(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    user, agent = create_agent(api)
    away_user, away_agent = create_agent(api, available=False)
    room = open_room(api, register_visitor(api)["token"])
    inquiry = fetch_inquiry(api, room["_id"])
    assert inquiry is not None
    details = {"method": "livechat:takeInquiry"}

    assert agent.post("livechat/inquiries.take", {"inquiryId": "nope"}).json() == {
        "success": False,
        "error": "Inquiry not found [error-not-found]",
        "errorType": "error-not-found",
        "details": details,
    }
    assert away_agent.post("livechat/inquiries.take", {"inquiryId": inquiry["_id"]}).json() == {
        "success": False,
        "error": "Agent status is offline or Omnichannel service is not active [error-agent-status-service-offline]",
        "errorType": "error-agent-status-service-offline",
        "details": details,
    }
    assert agent.post("livechat/inquiries.take", {"inquiryId": inquiry["_id"], "userId": "nobody"}).json() == {
        "success": False,
        "error": "The user is invalid",
    }
    assert agent.post("livechat/inquiries.take", {"inquiryId": inquiry["_id"]}).status_code == 200
    again = agent.post("livechat/inquiries.take", {"inquiryId": inquiry["_id"], "userId": away_user["_id"]})
    assert again.json()["errorType"] == "error-inquiry-taken"
    assert api.post("livechat/inquiries.take", {}).json() == {
        "success": False,
        "error": "must have required property 'inquiryId' [invalid-params]",
        "errorType": "invalid-params",
    }
    assert user["_id"] != away_user["_id"]


def test_auto_selection_assigns_the_least_recently_routed_available_agent(api: Api) -> None:
    first_user, first = create_agent(api)
    second_user, _ = create_agent(api)
    create_agent(api, available=False)

    rooms = [open_room(api, register_visitor(api)["token"]) for _ in range(3)]

    served = [room["servedBy"]["_id"] for room in rooms]
    assert served[0] != served[1]
    assert set(served[:2]) == {first_user["_id"], second_user["_id"]}
    assert served[2] == served[0]
    inquiry = fetch_inquiry(api, rooms[0]["_id"])
    assert inquiry is not None
    assert inquiry["status"] == "taken"
    assert first.get("subscriptions.getOne", params={"roomId": rooms[0]["_id"]}).status_code == 200


def test_an_agent_that_is_offline_gets_nothing(api: Api) -> None:
    _, agent = create_agent(api)
    assert agent.post("users.setStatus", {"status": "offline"}).status_code == 200

    room = open_room(api, register_visitor(api)["token"])

    assert "servedBy" not in room


def test_get_one_answers_null_for_rooms_without_inquiry(api: Api) -> None:
    room = open_room(api, register_visitor(api)["token"])
    api.post("livechat/room.closeByUser", {"rid": room["_id"]})

    response = api.get("livechat/inquiries.getOne", params={"roomId": room["_id"]})

    assert response.json() == {"inquiry": None, "success": True}
    assert api.get("livechat/inquiries.getOne").json()["error"] == (
        "must have required property 'roomId' [invalid-params]"
    )


def test_subscription_of_a_room_the_caller_is_not_in_is_null(api: Api) -> None:
    room = open_room(api, register_visitor(api)["token"])

    response = api.get("subscriptions.getOne", params={"roomId": room["_id"]})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"subscription": None, "success": True}
