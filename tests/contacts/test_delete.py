"""POST omnichannel/contacts.delete: spec §2.12, e2e tests 50-52, and our erasure decisions
(docs/compatibility.md): closed conversations are erased, open ones stay closable."""

from typing import Any

import pytest

from tests.contacts.conversations import (
    build_conversation,
    find_contact,
    find_inquiry,
    find_room,
    find_subscription,
    find_visitor,
    room_messages,
    run,
)
from tests.livechat.steps import close_by_agent, open_room, register_visitor, send
from tests.support import FORBIDDEN, LOGGED_OUT, Api, RunningServer


def delete(api: Api, body: Any) -> Any:
    return api.post("omnichannel/contacts.delete", body)


def test_disables_the_contact_and_keeps_its_id(api: Api, server: RunningServer) -> None:
    agent = api.create_user(roles=["user", "livechat-agent"])
    body = {"name": "Gone", "emails": ["gone@example.com"], "phones": ["1"], "contactManager": agent["_id"]}
    contact_id = api.post("omnichannel/contacts", body).json()["contactId"]

    response = delete(api, {"contactId": contact_id})

    assert response.status_code == 200
    assert response.json() == {"success": True}
    stored = find_contact(server, contact_id)
    assert stored is not None
    assert list(stored) == ["_id", "createdAt", "contactManager", "unknown", "preRegistration", "_updatedAt", "enabled"]
    assert stored["enabled"] is False
    assert api.get("omnichannel/contacts.get", {"contactId": contact_id}).status_code == 404
    exists = api.get("omnichannel/contacts.checkExistence", {"contactId": contact_id}).json()
    assert exists == {"exists": True, "success": True}
    assert api.get("omnichannel/contacts.search", {"searchText": "gone"}).json()["total"] == 0


def test_erases_closed_conversations_and_keeps_open_ones(api: Api, server: RunningServer) -> None:
    conversation = build_conversation(
        server, name="Visitor Name", rooms=(False, True), email="v@example.com", phone="555"
    )
    closed, open_room = conversation.rooms

    assert delete(api, {"contactId": conversation.contact["_id"]}).status_code == 200

    assert find_room(server, closed["_id"]) is None
    assert room_messages(server, closed["_id"]) == []
    assert find_subscription(server, closed["_id"]) is None
    kept = find_room(server, open_room["_id"])
    assert kept == open_room
    assert [message["msg"] for message in room_messages(server, open_room["_id"])] == ["Hello"]
    assert find_inquiry(server, open_room["_id"]) is not None

    visitor = find_visitor(server, conversation.visitor["_id"])
    assert visitor is not None
    assert set(visitor) == {"_id", "_updatedAt", "disabled"}
    assert visitor["disabled"] is True
    legacy = api.get("omnichannel/contact", {"contactId": conversation.visitor["_id"]}).json()
    assert legacy == {"contact": None, "success": True}
    assert api.get("omnichannel/contact.search", {"email": "v@example.com"}).json()["contact"] is None


def test_a_kept_open_room_is_erased_when_it_closes(api: Api, server: RunningServer) -> None:
    visitor = register_visitor(api, name="Leaving Soon", email="leaving@example.com")
    room = open_room(api, visitor["token"])
    send(api, visitor["token"], room["_id"], "Please forget me")
    assert delete(api, {"contactId": room["contactId"]}).status_code == 200
    assert find_room(server, room["_id"]) is not None

    closed = api.post("livechat/room.closeByUser", {"rid": room["_id"], "comment": "Done"})

    assert closed.status_code == 200
    assert closed.json() == {"success": True}
    assert find_room(server, room["_id"]) is None
    assert room_messages(server, room["_id"]) == []
    assert find_inquiry(server, room["_id"]) is None
    assert api.get("channels.info", params={"roomId": room["_id"]}).status_code == 400
    again = api.post("livechat/room.closeByUser", {"rid": room["_id"]})
    assert again.json()["success"] is False
    events = api.get("omnichannel/contacts.events", params={"contactId": room["contactId"]}).json()
    # Newest first: the room erased as it closed, the contact's erasure, the contact's creation.
    assert [event["type"] for event in events["events"]] == ["erased", "erased", "created"]
    assert events["events"][0]["changes"] == {"rooms": [room["_id"]]}
    assert events["events"][0]["actor"]["type"] == "user"


def test_a_room_of_a_contact_not_erased_stays_after_closing(api: Api, server: RunningServer) -> None:
    visitor = register_visitor(api, name="Staying")
    room = open_room(api, visitor["token"])

    close_by_agent(api, room["_id"])

    stored = find_room(server, room["_id"])
    assert stored is not None and "open" not in stored


def test_every_visitor_of_the_contact_is_erased(api: Api, server: RunningServer) -> None:
    first = build_conversation(server, rooms=(False,))
    second = build_conversation(server, rooms=(False,))
    contact = first.contact
    # One contact reached through two visitors: give the first contact the second channel too.
    run(
        server,
        lambda conn: conn.execute("DELETE FROM contacts WHERE id = $1", second.contact["_id"]),
    )
    from omnicontacts.contacts import repository

    contact["channels"].append(second.contact["channels"][0])
    run(server, lambda conn: repository.save_contact(conn, contact))

    assert delete(api, {"contactId": contact["_id"]}).status_code == 200

    for conversation in (first, second):
        assert find_room(server, conversation.rooms[0]["_id"]) is None
        visitor = find_visitor(server, conversation.visitor["_id"])
        assert visitor is not None and visitor["disabled"] is True


def test_other_contacts_are_untouched(api: Api, server: RunningServer) -> None:
    gone = build_conversation(server, rooms=(False,))
    stays = build_conversation(server, rooms=(False,))

    delete(api, {"contactId": gone.contact["_id"]})

    assert find_room(server, stays.rooms[0]["_id"]) == stays.rooms[0]
    assert find_visitor(server, stays.visitor["_id"]) == stays.visitor
    assert find_contact(server, stays.contact["_id"]) == stays.contact


def test_records_the_erasure(api: Api, server: RunningServer) -> None:
    import orjson

    conversation = build_conversation(server, rooms=(False, True))
    delete(api, {"contactId": conversation.contact["_id"]})

    rows = run(
        server,
        lambda conn: conn.fetch("SELECT doc FROM contact_events WHERE contact_id = $1", conversation.contact["_id"]),
    )
    events = [orjson.loads(row["doc"]) for row in rows]
    assert [event["type"] for event in events] == ["erased"]
    assert events[0]["actor"]["type"] == "user"
    assert events[0]["changes"] == {
        "visitors": [
            {
                "visitorId": conversation.visitor["_id"],
                "erasedRooms": [conversation.rooms[0]["_id"]],
                "openRoomsKept": [conversation.rooms[1]["_id"]],
            }
        ]
    }


@pytest.mark.parametrize("twice", [False, True])
def test_unknown_or_already_deleted(api: Api, twice: bool) -> None:
    contact_id = "invalid"
    if twice:
        contact_id = api.post("omnichannel/contacts", {"name": "x", "emails": [], "phones": []}).json()["contactId"]
        delete(api, {"contactId": contact_id})

    response = delete(api, {"contactId": contact_id})

    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "error-contact-not-found"}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "must have required property 'contactId'"),
        ({"contactId": "x", "extra": 1}, "must NOT have additional properties"),
        ({"contactId": {"id": "x"}}, "must be string"),
    ],
)
def test_typed_route_validation(api: Api, body: dict[str, Any], error: str) -> None:
    response = delete(api, body)

    assert response.status_code == 400
    assert response.json() == {"success": False, "errorType": "error-invalid-params", "error": error}


def test_permission_and_login(api: Api, anon: Api) -> None:
    assert delete(anon, {"contactId": "x"}).status_code == 401
    assert delete(anon, {"contactId": "x"}).json() == LOGGED_OUT
    agent = api.create_user(roles=["user", "livechat-agent"])
    # Agents lack delete-livechat-contact by default.
    assert delete(api.as_user(api.login(agent["username"])), {"contactId": "x"}).status_code == 403
    api.set_permission("delete-livechat-contact", [])

    response = delete(api, {"contactId": "x"})

    assert response.status_code == 403
    assert response.json() == FORBIDDEN
