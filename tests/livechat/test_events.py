"""omnichannel/contacts.events: what happened to a contact, newest first."""

from tests.livechat.steps import create_contact, get_contact, open_room, register_visitor
from tests.support import Api

FORBIDDEN = {
    "success": False,
    "error": "User does not have the permissions required for this action [error-unauthorized]",
}


def test_created_then_merged(api: Api) -> None:
    visitor = register_visitor(api, name=None)
    room = open_room(api, visitor["token"])
    register_visitor(api, token=visitor["token"], name="Named Later")

    response = api.get("omnichannel/contacts.events", params={"contactId": room["contactId"]})

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["events", "count", "offset", "total", "success"]
    assert (body["count"], body["offset"], body["total"]) == (2, 0, 2)
    merged, created = body["events"]
    assert created["type"] == "created"
    assert created["contactId"] == room["contactId"]
    assert created["actor"] == {"type": "visitor", "_id": visitor["_id"]}
    assert created["changes"] == {"channels": [{"visitorId": visitor["_id"], "source": {"type": "api"}}]}
    assert merged["type"] == "merged"
    assert merged["changes"] == {"name": "Named Later"}
    assert get_contact(api, room["contactId"])["name"] == "Named Later"


def test_a_merge_into_a_pre_registered_contact_lists_what_changed(api: Api) -> None:
    contact_id = create_contact(api, "Contact Name", ["merge@example.com"], [])
    visitor = register_visitor(api, name="Visitor Name", email="merge@example.com", phone="+15550222")

    open_room(api, visitor["token"])

    [event] = api.get("omnichannel/contacts.events", params={"contactId": contact_id}).json()["events"]
    assert event["type"] == "merged"
    assert event["changes"] == {
        "phones": ["+15550222"],
        "channels": [{"visitorId": visitor["_id"], "source": {"type": "api"}}],
        "conflictingFields": [{"field": "name", "value": "Visitor Name"}],
    }


def test_paging(api: Api) -> None:
    visitor = register_visitor(api, name=None)
    room = open_room(api, visitor["token"])
    for name in ("One", "Two", "Three"):
        register_visitor(api, token=visitor["token"], name=name)

    page = api.get(
        "omnichannel/contacts.events", params={"contactId": room["contactId"], "count": 2, "offset": 1}
    ).json()

    assert (page["count"], page["offset"], page["total"]) == (2, 1, 4)


def test_errors(api: Api) -> None:
    plain = api.as_user(api.login(api.create_user()["username"]))

    unknown = api.get("omnichannel/contacts.events", params={"contactId": "nope"})
    missing = api.get("omnichannel/contacts.events")

    assert unknown.status_code == 400
    assert unknown.json() == {"success": False, "error": "error-contact-not-found"}
    assert missing.json() == {
        "success": False,
        "error": "must have required property 'contactId' [invalid-params]",
        "errorType": "invalid-params",
    }
    assert plain.get("omnichannel/contacts.events", params={"contactId": "nope"}).json() == FORBIDDEN
    assert api.anonymous().get("omnichannel/contacts.events", params={"contactId": "nope"}).status_code == 401
