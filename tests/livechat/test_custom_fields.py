"""livechat/custom.field(s): values a visitor gives, on the visitor and its contacts."""

from tests.contacts.conversations import create_custom_field
from tests.livechat.steps import create_contact, get_contact, new_token, open_room, register_visitor, room_info
from tests.support import Api


def set_field(api: Api, token: str, key: str, value: str, overwrite: bool) -> dict[str, object]:
    response = api.anonymous().post(
        "livechat/custom.field", {"token": token, "key": key, "value": value, "overwrite": overwrite}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_conflicting_value_is_recorded_and_resolved(api: Api) -> None:
    """Rocket.Chat's own e2e conflicts test, step by step."""
    visitor = register_visitor(api, name="Visitor Name", email="cf@example.com", phone="+15550111")
    contact_id = create_contact(api, "Visitor Name", ["cf@example.com"], ["+15550111"])
    open_room(api, visitor["token"])
    create_custom_field(api, "cf1", "Custom Field 1", required=True, regexp="^[0-9]+$")

    assert set_field(api, visitor["token"], "cf1", "123", True) == {
        "field": {"key": "cf1", "value": "123", "overwrite": True},
        "success": True,
    }
    set_field(api, visitor["token"], "cf1", "456", False)
    contact = get_contact(api, contact_id)
    assert contact["customFields"] == {"cf1": "123"}
    assert contact["conflictingFields"] == [{"field": "customFields.cf1", "value": "456"}]

    resolved = api.post("omnichannel/contacts.conflicts", {"contactId": contact_id, "customFields": {"cf1": "123"}})

    assert resolved.status_code == 200
    assert resolved.json()["result"]["customFields"]["cf1"] == "123"
    assert resolved.json()["result"]["conflictingFields"] == []


def test_overwrite_sets_the_value_on_visitor_and_contact(api: Api) -> None:
    create_custom_field(api, "plan", "Plan")
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])
    set_field(api, visitor["token"], "plan", "gold", False)

    set_field(api, visitor["token"], "plan", "silver", True)
    set_field(api, visitor["token"], "plan", "silver", False)

    contact = get_contact(api, room["contactId"])
    assert contact["customFields"] == {"plan": "silver"}
    assert contact.get("conflictingFields", []) == []
    assert api.anonymous().get(f"livechat/visitor/{visitor['token']}").json()["visitor"]["livechatData"] == {
        "plan": "silver"
    }


def test_a_room_scope_field_goes_to_the_open_room(api: Api) -> None:
    create_custom_field(api, "topic", "Topic", scope="room")
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])

    set_field(api, visitor["token"], "topic", "billing", True)

    assert room_info(api, room["_id"])["livechatData"] == {"topic": "billing"}
    assert "topic" not in get_contact(api, room["contactId"])["customFields"]


def test_custom_field_errors(api: Api) -> None:
    create_custom_field(api, "digits", "Digits", regexp="^[0-9]+$")
    visitor = register_visitor(api)
    anon = api.anonymous()
    body = {"token": visitor["token"], "key": "digits", "value": "12", "overwrite": True}

    assert anon.post("livechat/custom.field", {**body, "token": new_token()}).json() == {
        "success": False,
        "error": "invalid-token",
    }
    assert anon.post("livechat/custom.field", {**body, "key": "nope"}).json() == {
        "success": False,
        "error": "invalid-custom-field",
    }
    assert anon.post("livechat/custom.field", {**body, "value": "abc"}).json() == {
        "success": False,
        "error": "Invalid value for digits field",
    }
    assert anon.post("livechat/custom.field", {"token": visitor["token"]}).json() == {
        "success": False,
        "error": "must have required property 'key' [invalid-params]",
        "errorType": "invalid-params",
    }


def test_several_fields_at_once(api: Api) -> None:
    create_custom_field(api, "plan", "Plan")
    create_custom_field(api, "topic", "Topic", scope="room")
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])

    response = api.anonymous().post(
        "livechat/custom.fields",
        {
            "token": visitor["token"],
            "customFields": [
                {"key": "plan", "value": "gold", "overwrite": True},
                {"key": "topic", "value": "sales", "overwrite": True},
            ],
        },
    )

    assert response.status_code == 200
    assert response.json() == {
        "fields": [
            {"Key": "topic", "value": "sales", "overwrite": True},
            {"Key": "plan", "value": "gold", "overwrite": True},
        ],
        "success": True,
    }
    assert get_contact(api, room["contactId"])["customFields"] == {"plan": "gold"}
    unknown = api.anonymous().post(
        "livechat/custom.fields",
        {
            "token": visitor["token"],
            "customFields": [
                {"key": "plan", "value": "x", "overwrite": True},
                {"key": "nope", "value": "y", "overwrite": True},
            ],
        },
    )
    assert unknown.json() == {"success": False, "error": "invalid-custom-field"}
