"""GET omnichannel/contacts.access: everything held about one contact (GDPR article 15)."""

from typing import Any

from omnicontacts.contacts import repository as contacts_repository
from omnicontacts.livechat import repository as livechat_repository
from omnicontacts.storage import Connection
from tests.contacts.conversations import (
    channel_doc,
    contact_doc,
    create_custom_field,
    message_doc,
    room_doc,
    run,
    visitor_doc,
)
from tests.livechat.steps import create_agent
from tests.support import Api, RunningServer


def _contact_with_two_channels(server: RunningServer) -> dict[str, Any]:
    web = visitor_doc("Ann Web", email="ann@example.com")
    phone = visitor_doc("Ann Phone", phone="+15550100")
    api_source, widget = {"type": "api"}, {"type": "widget", "label": "Web chat"}
    contact = contact_doc(
        "Ann",
        channels=[channel_doc(web, widget), channel_doc(phone, api_source)],
        emails=[{"address": "ann@example.com"}],
        customFields={"plan": "gold"},
    )
    rooms = [
        room_doc(web, contact, widget, open_room=False),
        room_doc(web, contact, widget, open_room=True),
        room_doc(phone, contact, api_source, open_room=False),
    ]
    messages = {
        room["_id"]: [message_doc(room, f"hello {index}"), message_doc(room, "bye")] for index, room in enumerate(rooms)
    }
    other_visitor = visitor_doc("Someone Else")
    other = contact_doc("Other", channels=[channel_doc(other_visitor, api_source)])
    other_room = room_doc(other_visitor, other, api_source)

    async def store(conn: Connection) -> None:
        for visitor in (web, phone, other_visitor):
            await livechat_repository.insert_visitor(conn, visitor)
        for doc in (contact, other):
            await contacts_repository.insert_contact(conn, doc)
        for room in [*rooms, other_room]:
            await livechat_repository.insert_room(conn, room)
        for room_messages in messages.values():
            for message in room_messages:
                await livechat_repository.insert_message(conn, message)
        await livechat_repository.insert_message(conn, message_doc(other_room, "not hers"))

    run(server, store)
    return {"contact": contact, "visitors": [web, phone], "rooms": rooms, "messages": messages}


def test_access_answers_everything_about_one_contact(api: Api, server: RunningServer) -> None:
    create_custom_field(api, "plan", "Plan")
    stored = _contact_with_two_channels(server)
    contact_id = stored["contact"]["_id"]
    block = api.post("omnichannel/contacts.block", {"visitor": stored["contact"]["channels"][1]["visitor"]})
    assert block.status_code == 200, block.text

    response = api.get("omnichannel/contacts.access", params={"contactId": contact_id})

    assert response.status_code == 200
    body = response.json()
    assert list(body) == [
        "generatedAt",
        "contact",
        "channels",
        "visitors",
        "conversations",
        "customFields",
        "events",
        "success",
    ]
    assert body["contact"]["_id"] == contact_id
    assert body["contact"]["name"] == "Ann"
    assert [channel["visitor"]["visitorId"] for channel in body["channels"]] == [v["_id"] for v in stored["visitors"]]
    assert [visitor["_id"] for visitor in body["visitors"]] == [v["_id"] for v in stored["visitors"]]
    assert len(body["conversations"]) == 3
    assert {item["room"]["_id"] for item in body["conversations"]} == {room["_id"] for room in stored["rooms"]}
    for item in body["conversations"]:
        assert sorted(message["_id"] for message in item["messages"]) == sorted(
            message["_id"] for message in stored["messages"][item["room"]["_id"]]
        )
    (field,) = body["customFields"]
    assert field["field"] == "plan"
    assert field["value"] == "gold"
    assert field["definition"]["_id"] == "plan"
    assert [event["type"] for event in body["events"]] == ["blocked"]


def test_access_permissions_and_errors(api: Api) -> None:
    assert api.get("omnichannel/contacts.access", params={"contactId": "nope"}).json() == {
        "success": False,
        "error": "error-contact-not-found",
    }
    missing = api.get("omnichannel/contacts.access")
    assert missing.status_code == 400
    assert missing.json()["errorType"] == "invalid-params"
    _, agent = create_agent(api)
    api.set_permission("view-livechat-contact-history", ["admin"])
    assert agent.get("omnichannel/contacts.access", params={"contactId": "x"}).status_code == 403
    assert api.anonymous().get("omnichannel/contacts.access", params={"contactId": "x"}).status_code == 401
