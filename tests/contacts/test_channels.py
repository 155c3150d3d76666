"""GET omnichannel/contacts.channels: spec §2.11, e2e tests 74-78."""

from typing import Any

from tests.contacts.conversations import build_conversation, channel_doc, contact_doc, store_contacts, visitor_doc
from tests.support import FORBIDDEN, LOGGED_OUT, Api, RunningServer


def channels(api: Api, **params: Any) -> Any:
    return api.get("omnichannel/contacts.channels", params)


def test_the_channels_of_a_contact(api: Api, server: RunningServer) -> None:
    conversation = build_conversation(server, rooms=(False,))

    response = channels(api, contactId=conversation.contact["_id"])

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["channels", "success"]
    assert body["channels"] == conversation.contact["channels"]
    channel = body["channels"][0]
    assert channel["name"] == "api"
    assert channel["visitor"] == {"visitorId": conversation.visitor["_id"], "source": {"type": "api"}}
    assert (channel["verified"], channel["blocked"]) == (False, False)


def test_one_channel_per_name_the_latest_chat_wins(api: Api, server: RunningServer) -> None:
    visitors = [visitor_doc(f"V{index}") for index in range(4)]

    def chat(visitor: dict[str, Any], source: dict[str, Any], ts: str | None) -> dict[str, Any]:
        channel = channel_doc(visitor, source)
        if ts:
            channel["lastChat"] = {"_id": f"room-{visitor['_id']}", "ts": ts}
        return channel

    widget_old = chat(visitors[0], {"type": "widget"}, "2024-01-01T00:00:00.000Z")
    api_none = chat(visitors[1], {"type": "api"}, None)
    widget_new = chat(visitors[2], {"type": "widget"}, "2024-03-01T00:00:00.000Z")
    api_later = chat(visitors[3], {"type": "api"}, "2024-02-01T00:00:00.000Z")
    email = chat(visitors[0], {"type": "email", "id": "inbox", "label": "Support"}, None)
    contact = contact_doc("Many", channels=[widget_old, api_none, widget_new, email, api_later])
    store_contacts(server, contact)

    body = channels(api, contactId=contact["_id"]).json()

    assert body["channels"] == [widget_new, api_later, email]


def test_ties_keep_the_first(api: Api, server: RunningServer) -> None:
    first = channel_doc(visitor_doc("A"), {"type": "sms"})
    second = channel_doc(visitor_doc("B"), {"type": "sms"})
    contact = contact_doc("Tie", channels=[first, second])
    store_contacts(server, contact)

    assert channels(api, contactId=contact["_id"]).json()["channels"] == [first]


def test_no_channels_and_unknown_contact_answer_an_empty_list(api: Api) -> None:
    contact_id = api.post("omnichannel/contacts", {"name": "New", "emails": [], "phones": []}).json()["contactId"]

    assert channels(api, contactId=contact_id).json() == {"channels": [], "success": True}
    assert channels(api, contactId="invalid").json() == {"channels": [], "success": True}


def test_validation_permission_and_login(api: Api, anon: Api) -> None:
    assert channels(anon, contactId="x").json() == LOGGED_OUT
    missing = channels(api)
    assert missing.status_code == 400
    assert missing.json() == {
        "success": False,
        "error": "must have required property 'contactId' [invalid-params]",
        "errorType": "invalid-params",
    }
    api.set_permission("view-livechat-contact", [])

    response = channels(api, contactId="x")

    assert response.status_code == 403
    assert response.json() == FORBIDDEN
