"""POST omnichannel/contacts.update: spec §2.5, e2e tests 9-12 and 20-40."""

from typing import Any

import pytest

from tests.contacts.conversations import (
    build_conversation,
    contact_doc,
    create_custom_field,
    find_contact,
    find_inquiry,
    find_room,
    find_subscription,
    store_contacts,
)
from tests.support import FORBIDDEN, LOGGED_OUT, Api, RunningServer


def new_contact(api: Api, **extra: Any) -> str:
    body = {"name": "Original", "emails": ["o@example.com"], "phones": ["555"], **extra}
    response = api.post("omnichannel/contacts", body)
    assert response.status_code == 200, response.text
    return str(response.json()["contactId"])


def update(api: Api, body: Any) -> Any:
    return api.post("omnichannel/contacts.update", body)


def test_updates_and_answers_the_whole_contact(api: Api) -> None:
    contact_id = new_contact(api)

    response = update(api, {"contactId": contact_id, "name": "New", "emails": ["n@example.com"], "phones": ["1"]})

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["contact", "success"]
    contact = body["contact"]
    assert contact["_id"] == contact_id
    assert contact["name"] == "New"
    assert contact["emails"] == [{"address": "n@example.com"}]
    assert contact["phones"] == [{"phoneNumber": "1"}]
    assert contact == api.get("omnichannel/contacts.get", {"contactId": contact_id}).json()["contact"]
    # Existing keys keep their place; `_updatedAt` moves forward.
    assert list(contact)[:5] == ["_id", "createdAt", "name", "emails", "phones"]
    assert contact["_updatedAt"] >= contact["createdAt"]


def test_sets_unknown_to_false(api: Api, server: RunningServer) -> None:
    stored = contact_doc("Unknown One", unknown=True)
    store_contacts(server, stored)

    contact = update(api, {"contactId": stored["_id"], "name": "Known"}).json()["contact"]

    assert contact["unknown"] is False


def test_only_the_id_changes_nothing(api: Api, server: RunningServer) -> None:
    stored = contact_doc("Unknown One", unknown=True)
    store_contacts(server, stored)

    response = update(api, {"contactId": stored["_id"], "emails": None, "phones": None, "wipeConflicts": False})

    assert response.status_code == 200
    assert response.json()["contact"] == stored


def test_a_null_name_is_coerced_to_empty(api: Api) -> None:
    # `name` is not nullable: AJV's type coercion turns null into "" before the handler runs.
    contact_id = new_contact(api)

    contact = update(api, {"contactId": contact_id, "name": None}).json()["contact"]

    assert contact["name"] == ""


def test_empty_values_are_written(api: Api) -> None:
    contact_id = new_contact(api)

    contact = update(api, {"contactId": contact_id, "name": "", "emails": [], "phones": []}).json()["contact"]

    assert contact["name"] == ""
    assert contact["emails"] == []
    assert contact["phones"] == []


def test_contact_manager_set_and_unset(api: Api) -> None:
    agent = api.create_user(roles=["user", "livechat-agent"])
    contact_id = new_contact(api)

    contact = update(api, {"contactId": contact_id, "contactManager": agent["_id"]}).json()["contact"]
    assert contact["contactManager"] == agent["_id"]

    contact = update(api, {"contactId": contact_id, "contactManager": None}).json()["contact"]
    assert contact["contactManager"] == agent["_id"]

    contact = update(api, {"contactId": contact_id, "contactManager": ""}).json()["contact"]
    assert "contactManager" not in contact


def test_contact_manager_must_be_an_agent(api: Api) -> None:
    contact_id = new_contact(api)

    response = update(api, {"contactId": contact_id, "contactManager": "invalid"})

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "error-contact-manager-not-found"}


@pytest.mark.parametrize("deleted", [False, True])
def test_unknown_or_deleted_contact(api: Api, server: RunningServer, deleted: bool) -> None:
    contact_id = "invalid"
    if deleted:
        contact_id = new_contact(api)
        assert api.post("omnichannel/contacts.delete", {"contactId": contact_id}).status_code == 200

    response = update(api, {"contactId": contact_id, "name": "x", "emails": [], "phones": []})

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "error-contact-not-found"}


def test_permission_and_login(api: Api, anon: Api) -> None:
    contact_id = new_contact(api)
    assert update(anon, {"contactId": contact_id}).json() == LOGGED_OUT
    api.set_permission("update-livechat-contact", [])

    response = update(api, {"contactId": contact_id})

    assert response.status_code == 403
    assert response.json() == FORBIDDEN


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"emails": [], "phones": []}, "must have required property 'contactId'"),
        ({"contactId": "x", "emails": "invalid"}, "must be array"),
        ({"contactId": "x", "emails": [{"invalid": True}]}, "must be string"),
        ({"contactId": "x", "phones": "invalid"}, "must be array"),
        ({"contactId": "x", "phones": [{"invalid": True}]}, "must be string"),
        ({"contactId": "x", "unknown": True}, "must NOT have additional properties"),
        ({"contactId": "x", "wipeConflicts": "maybe"}, "must be boolean"),
    ],
)
def test_validation_messages(api: Api, body: dict[str, Any], error: str) -> None:
    response = update(api, body)

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": f"{error} [invalid-params]", "errorType": "invalid-params"}


class TestCustomFields:
    """Rocket.Chat's e2e tests 9-12 and 26-28, in order."""

    def test_registered_and_legacy_fields(self, api: Api) -> None:
        create_custom_field(api, "cf1", "Custom Field 1", required=True, regexp="^[0-9]+$")
        create_custom_field(api, "cf2", "Custom Field 2", regexp="^[0-9]+$")
        create_custom_field(api, "cfOptional", "Optional Custom Field", regexp="^[0-9]+$")
        contact_id = new_contact(api, customFields={"cf1": "123", "cf2": "456"})
        assert api.post("livechat/custom-fields.delete", {"customFieldId": "cf2"}).status_code == 200

        # A legacy key may be sent, but keeps its stored value.
        body = update(api, {"contactId": contact_id, "customFields": {"cf1": "456", "cf2": "789"}}).json()
        assert body["success"] is True
        assert body["contact"]["customFields"] == {"cf1": "456", "cf2": "456"}

        # Not sending it keeps it too.
        fields = {"cf1": "789", "cfOptional": "567"}
        contact = update(api, {"contactId": contact_id, "customFields": fields}).json()["contact"]
        assert contact["customFields"] == {"cf1": "789", "cfOptional": "567", "cf2": "456"}

        # An optional registered key that is not sent is dropped.
        contact = update(api, {"contactId": contact_id, "customFields": {"cf1": "789"}}).json()["contact"]
        assert contact["customFields"] == {"cf1": "789", "cf2": "456"}

        # A key that is neither registered nor stored is refused.
        response = update(api, {"contactId": contact_id, "customFields": {"cf1": "123", "cf3": "invalid"}})
        assert response.status_code == 400
        assert response.json() == {"success": False, "error": "Custom field cf3 is not allowed"}

    def test_rules_without_legacy_keys(self, api: Api) -> None:
        create_custom_field(api, "cf1", "Custom Field 1", required=True, regexp="^[0-9]+$")
        contact_id = new_contact(api, customFields={"cf1": "1"})

        ok = update(api, {"contactId": contact_id, "customFields": {"cf1": "123"}})
        assert ok.status_code == 200
        assert ok.json()["contact"]["customFields"] == {"cf1": "123"}

        bad = update(api, {"contactId": contact_id, "customFields": {"cf1": "invalid"}})
        assert bad.json() == {"success": False, "error": "Invalid value for Custom Field 1 field"}

        extra = update(api, {"contactId": contact_id, "customFields": {"cf1": "123", "cf2": "invalid"}})
        assert extra.json() == {"success": False, "error": "Custom field cf2 is not allowed"}

    def test_custom_fields_are_left_alone_when_not_sent(self, api: Api) -> None:
        create_custom_field(api, "cf1", "Custom Field 1", required=True)
        contact_id = new_contact(api, customFields={"cf1": "keep"})

        contact = update(api, {"contactId": contact_id, "name": "Renamed"}).json()["contact"]

        assert contact["customFields"] == {"cf1": "keep"}


def test_wipe_conflicts_counts_them(api: Api, server: RunningServer) -> None:
    conflicts = [{"field": "name", "value": "Other"}, {"field": "manager", "value": "u1"}]
    stored = contact_doc("Conflicted", conflictingFields=conflicts)
    store_contacts(server, stored)

    contact = update(api, {"contactId": stored["_id"], "wipeConflicts": True}).json()["contact"]

    assert contact["conflictingFields"] == []
    assert contact["unknown"] is False
    assert api.get("settings/Resolved_Conflicts_Count").json()["value"] == 2


def test_a_rename_reaches_rooms_subscriptions_and_inquiries(api: Api, server: RunningServer) -> None:
    conversation = build_conversation(server, name="Visitor Name", rooms=(False, True))
    closed, open_room = conversation.rooms

    response = update(api, {"contactId": conversation.contact["_id"], "name": "New Contact Name"})

    assert response.status_code == 200
    for room in (closed, open_room):
        stored = find_room(server, room["_id"])
        assert stored is not None
        assert stored["fname"] == "New Contact Name"
        assert list(stored) == list(room)
        subscription = find_subscription(server, room["_id"])
        assert subscription is not None
        assert (subscription["name"], subscription["fname"]) == ("New Contact Name", "New Contact Name")
    inquiry = find_inquiry(server, open_room["_id"])
    assert inquiry is not None
    assert inquiry["name"] == "New Contact Name"


def test_same_name_touches_no_room(api: Api, server: RunningServer) -> None:
    conversation = build_conversation(server, name="Same")

    update(api, {"contactId": conversation.contact["_id"], "name": "Same"})

    assert find_room(server, conversation.rooms[0]["_id"]) == conversation.rooms[0]


def test_concurrent_updates_keep_both_fields(api: Api, server: RunningServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    contact_id = new_contact(api)
    bodies = [{"contactId": contact_id, "name": f"Name {index}"} for index in range(5)] + [
        {"contactId": contact_id, "phones": [f"{index}"]} for index in range(5)
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(
            pool.map(
                lambda body: (
                    api.as_user(dict(api.client.headers)).post("omnichannel/contacts.update", body).status_code
                ),
                bodies,
            )
        )

    assert statuses == [200] * 10
    contact = find_contact(server, contact_id)
    assert contact is not None
    assert contact["name"].startswith("Name ")
    assert contact["phones"][0]["phoneNumber"] in {str(index) for index in range(5)}
