"""How conversations make contacts (spec §6.1 to §6.4), seen through the public API."""

from tests.livechat.steps import (
    close_by_agent,
    close_by_visitor,
    create_agent,
    create_contact,
    fetch_inquiry,
    get_contact,
    open_room,
    register_visitor,
    set_setting,
)
from tests.support import Api


def test_a_first_room_creates_an_unknown_contact_with_one_channel(api: Api) -> None:
    visitor = register_visitor(api, name="Ana Costa", email="Ana@Example.com", phone="+1 555 0001")

    room = open_room(api, visitor["token"])
    contact = get_contact(api, room["contactId"])

    assert contact["name"] == "Ana Costa"
    assert contact["unknown"] is True
    # Visitors' emails are lower-cased on registration; the contact takes them as they are.
    assert contact["emails"] == [{"address": "ana@example.com"}]
    assert contact["phones"] == [{"phoneNumber": "+1 555 0001"}]
    assert contact["customFields"] == {}
    assert "contactManager" not in contact
    [channel] = contact["channels"]
    assert channel["name"] == "api"
    assert channel["visitor"] == {"visitorId": visitor["_id"], "source": {"type": "api"}}
    assert channel["blocked"] is False
    assert channel["verified"] is False
    assert channel["details"] == {"type": "api"}


def test_a_visitor_without_a_name_names_the_contact_after_its_username(api: Api) -> None:
    visitor = register_visitor(api, name=None)

    room = open_room(api, visitor["token"])

    assert room["fname"] == visitor["username"]
    assert get_contact(api, room["contactId"])["name"] == visitor["username"]


def test_last_chat_is_set_on_the_contact_and_its_channel(api: Api) -> None:
    visitor = register_visitor(api)

    room = open_room(api, visitor["token"])
    contact = get_contact(api, room["contactId"])

    assert contact["lastChat"] == {"_id": room["_id"], "ts": room["ts"]}
    assert contact["channels"][0]["lastChat"] == {"_id": room["_id"], "ts": room["ts"]}


def test_a_second_room_on_the_same_channel_adds_no_channel_and_moves_last_chat(api: Api) -> None:
    visitor = register_visitor(api)
    first = open_room(api, visitor["token"])
    close_by_agent(api, first["_id"])

    second = open_room(api, visitor["token"])
    contact = get_contact(api, second["contactId"])

    assert second["contactId"] == first["contactId"]
    assert len(contact["channels"]) == 1
    assert contact["lastChat"]["_id"] == second["_id"]
    assert contact["channels"][0]["lastChat"]["_id"] == second["_id"]


def test_another_source_is_another_channel_and_another_contact(api: Api) -> None:
    visitor = register_visitor(api)
    api_room = open_room(api, visitor["token"])
    close_by_agent(api, api_room["_id"])

    widget_room = open_room(api, visitor["token"], widget=True)

    # Rocket.Chat keys a contact's channel by visitor and source type.
    assert widget_room["contactId"] != api_room["contactId"]
    assert get_contact(api, widget_room["contactId"])["channels"][0]["name"] == "widget"


def test_a_pre_registered_contact_with_the_same_email_absorbs_the_visitor(api: Api) -> None:
    contact_id = create_contact(api, "Contact Name", ["same@example.com"], ["+15550002"])
    visitor = register_visitor(api, name="Visitor Name", email="same@example.com", phone="+15559999")

    room = open_room(api, visitor["token"])
    contact = get_contact(api, contact_id)

    assert room["contactId"] == contact_id
    assert room["fname"] == "Contact Name"
    assert contact["name"] == "Contact Name"
    assert contact["unknown"] is False
    assert contact["preRegistration"] is False
    assert contact["conflictingFields"] == [{"field": "name", "value": "Visitor Name"}]
    assert contact["emails"] == [{"address": "same@example.com"}]
    assert contact["phones"] == [{"phoneNumber": "+15550002"}, {"phoneNumber": "+15559999"}]
    assert [channel["visitor"] for channel in contact["channels"]] == [
        {"visitorId": visitor["_id"], "source": {"type": "api"}}
    ]
    assert contact["lastChat"]["_id"] == room["_id"]


def test_a_pre_registered_contact_with_the_same_phone_absorbs_the_visitor(api: Api) -> None:
    contact_id = create_contact(api, "Phone Contact", [], ["(555) 123-4567 x89"])
    visitor = register_visitor(api, name="Phone Contact", phone="(555) 123-4567 x89")

    room = open_room(api, visitor["token"])
    contact = get_contact(api, contact_id)

    assert room["contactId"] == contact_id
    # Equal values are not conflicts, and nothing is duplicated.
    assert contact.get("conflictingFields", []) == []
    assert contact["phones"] == [{"phoneNumber": "(555) 123-4567 x89"}]
    assert contact["emails"] == []


def test_only_a_contact_without_channels_absorbs_a_visitor(api: Api) -> None:
    contact_id = create_contact(api, "Contact Name", ["first@example.com"], ["+15550003"])
    first = register_visitor(api, email="first@example.com")
    assert open_room(api, first["token"])["contactId"] == contact_id

    # Another visitor with the contact's phone: the contact has a channel now, so it stays apart.
    second = register_visitor(api, name="Second", phone="+15550003")
    room = open_room(api, second["token"])

    assert second["_id"] != first["_id"]
    assert room["contactId"] != contact_id
    assert get_contact(api, room["contactId"])["unknown"] is True


def test_registering_again_merges_into_an_unknown_contact_by_overwriting(api: Api) -> None:
    visitor = register_visitor(api, name=None)
    room = open_room(api, visitor["token"])

    register_visitor(api, token=visitor["token"], name="Real Name", email="real@example.com", phone="+15550004")
    contact = get_contact(api, room["contactId"])

    assert contact["name"] == "Real Name"
    assert contact["emails"] == [{"address": "real@example.com"}]
    assert contact["phones"] == [{"phoneNumber": "+15550004"}]
    assert contact.get("conflictingFields", []) == []


def test_registering_again_records_conflicts_on_a_known_contact(api: Api) -> None:
    contact_id = create_contact(api, "Known Contact", ["known@example.com"], [])
    visitor = register_visitor(api, name="Known Contact", email="known@example.com")
    open_room(api, visitor["token"])

    register_visitor(api, token=visitor["token"], name="Another Name")
    contact = get_contact(api, contact_id)

    assert contact["name"] == "Known Contact"
    assert contact["conflictingFields"] == [{"field": "name", "value": "Another Name"}]


def test_contact_history_lists_closed_rooms_newest_closed_first(api: Api) -> None:
    _, agent = create_agent(api)
    visitor = register_visitor(api)
    first = open_room(api, visitor["token"])
    close_by_visitor(api, visitor["token"], first["_id"])
    second = open_room(api, visitor["token"])
    close_by_agent(agent, second["_id"])
    third = open_room(api, visitor["token"])

    response = api.get("omnichannel/contacts.history", params={"contactId": first["contactId"]})

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2
    assert body["count"] == 2
    assert [item["_id"] for item in body["history"]] == [second["_id"], first["_id"]]
    assert third["_id"] not in [item["_id"] for item in body["history"]]
    newest, oldest = body["history"]
    assert newest["closer"] == "user"
    assert newest["closedBy"]["_id"] == agent.client.headers["X-User-Id"]
    assert newest["servedBy"]["_id"] == agent.client.headers["X-User-Id"]
    assert oldest["closer"] == "visitor"
    assert oldest["closedBy"] == {"_id": visitor["_id"], "username": visitor["username"]}
    assert oldest["source"] == {"type": "api"}
    assert oldest["lastMessage"]["t"] == "livechat-close"
    assert oldest["lastMessage"]["msg"] == "Closed by visitor"
    assert "open" not in oldest
    assert oldest["v"]["token"] == visitor["token"]
    assert set(oldest) <= {
        "_id", "fname", "ts", "v", "msgs", "servedBy", "closedAt", "closedBy", "closer", "tags", "source",
        "lastMessage", "closingMessage", "verified", "departmentId", "priorityWeight", "lm", "open", "onHold",
        "sessionId", "livechatData",
    }  # fmt: skip


def test_a_contact_rename_reaches_room_subscription_and_inquiry(api: Api) -> None:
    set_setting(api, "Livechat_Routing_Method", "Manual_Selection")
    user, agent = create_agent(api)
    visitor = register_visitor(api, name="Before Rename")
    room = open_room(api, visitor["token"])
    inquiry = fetch_inquiry(api, room["_id"])
    assert inquiry is not None
    taken = agent.post("livechat/inquiries.take", {"inquiryId": inquiry["_id"], "userId": user["_id"]})
    assert taken.status_code == 200
    queued = open_room(api, register_visitor(api, name="Waiting")["token"])

    renamed = api.post("omnichannel/contacts.update", {"contactId": room["contactId"], "name": "After Rename"})
    api.post("omnichannel/contacts.update", {"contactId": queued["contactId"], "name": "Waiting Renamed"})

    assert renamed.status_code == 200
    assert open_room(api, visitor["token"], rid=room["_id"])["fname"] == "After Rename"
    subscription = agent.get("subscriptions.getOne", params={"roomId": room["_id"]})
    assert subscription.headers["content-type"] == "application/json"
    assert subscription.json()["subscription"]["name"] == "After Rename"
    assert subscription.json()["subscription"]["fname"] == "After Rename"
    assert subscription.json()["subscription"]["v"]["_id"] == visitor["_id"]
    waiting = fetch_inquiry(api, queued["_id"])
    assert waiting is not None
    assert waiting["name"] == "Waiting Renamed"
