"""livechat/visitor: register, read and erase visitors."""

from tests.contacts.conversations import create_custom_field
from tests.livechat.steps import (
    close_by_agent,
    new_token,
    open_room,
    register_visitor,
    send,
    set_setting,
)
from tests.support import Api


def test_register_answers_the_visitor_document(api: Api) -> None:
    token = new_token()

    response = api.post(
        "livechat/visitor",
        {"visitor": {"token": token, "name": "Ana", "email": "ANA@example.com ", "phone": "+15550001"}},
    )

    assert response.status_code == 200
    visitor = response.json()["visitor"]
    assert visitor["token"] == token
    assert visitor["name"] == "Ana"
    assert visitor["visitorEmails"] == [{"address": "ana@example.com"}]
    assert visitor["phone"] == [{"phoneNumber": "+15550001"}]
    assert visitor["status"] == "online"
    assert visitor["username"].startswith("guest-")
    assert {"_id", "ts", "_updatedAt"} <= set(visitor)


def test_guest_numbers_count_up_from_the_setting(api: Api) -> None:
    set_setting(api, "Livechat_guest_count", 41)

    first = register_visitor(api)
    second = register_visitor(api)

    assert first["username"] == "guest-42"
    assert second["username"] == "guest-43"
    assert api.get("settings/Livechat_guest_count").json()["value"] == 43


def test_registering_a_known_token_updates_that_visitor(api: Api) -> None:
    visitor = register_visitor(api, name="Old Name")

    again = register_visitor(api, token=visitor["token"], name="New Name", email="new@example.com")

    assert again["_id"] == visitor["_id"]
    assert again["username"] == visitor["username"]
    assert again["name"] == "New Name"
    assert again["visitorEmails"] == [{"address": "new@example.com"}]


def test_registering_renames_the_open_room(api: Api) -> None:
    visitor = register_visitor(api, name="First")
    room = open_room(api, visitor["token"])

    register_visitor(api, token=visitor["token"], name="Second")

    assert open_room(api, visitor["token"], rid=room["_id"])["fname"] == "Second"


def test_only_registered_visitor_custom_fields_are_kept(api: Api) -> None:
    create_custom_field(api, "plan", "Plan", regexp="^[a-z]+$")

    visitor = register_visitor(
        api,
        customFields=[
            {"key": "address", "value": "Rocket.Chat street", "overwrite": True},
            {"key": "plan", "value": "gold", "overwrite": True},
        ],
    )
    kept = register_visitor(
        api, token=visitor["token"], customFields=[{"key": "plan", "value": "silver", "overwrite": False}]
    )

    assert visitor["livechatData"] == {"plan": "gold"}
    assert kept["livechatData"] == {"plan": "gold"}


def test_a_missing_required_custom_field_is_refused(api: Api) -> None:
    create_custom_field(api, "cf1", "Custom Field 1", required=True)

    response = api.post(
        "livechat/visitor",
        {"visitor": {"token": new_token(), "customFields": [{"key": "other", "value": "1", "overwrite": True}]}},
    )

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "Missing required custom fields: cf1"}


def test_registration_errors(api: Api) -> None:
    anon = api.anonymous()

    assert anon.post("livechat/visitor", {}).json() == {
        "success": False,
        "error": "Match error: Missing key 'visitor'",
    }
    assert anon.post("livechat/visitor", {"visitor": {}}).json() == {
        "success": False,
        "error": "Match error: Missing key 'token' in field visitor",
    }
    assert anon.post("livechat/visitor", {"visitor": {"token": 5}}).json() == {
        "success": False,
        "error": "Match error: Expected string, got number in field visitor.token",
    }
    assert anon.post("livechat/visitor", {"visitor": {"token": "t"}, "x": 1}).json() == {
        "success": False,
        "error": "Match error: Unknown key in field x",
    }
    assert anon.post("livechat/visitor", {"visitor": {"token": "t", "name": None}}).json() == {
        "success": False,
        "error": "Match error: Expected string, got null in field visitor.name",
    }
    bad_field = {"visitor": {"token": "t", "customFields": [{"key": "cf1", "value": "1", "overwrite": "yes"}]}}
    assert anon.post("livechat/visitor", bad_field).json() == {
        "success": False,
        "error": "Match error: Expected boolean, got string in field visitor.customFields[0].overwrite",
    }
    assert anon.post("livechat/visitor", {"visitor": {"token": "t", "customFields": "cf1"}}).json() == {
        "success": False,
        "error": 'Match error: Expected array, got "cf1" in field visitor.customFields',
    }
    blank = anon.post("livechat/visitor", {"visitor": {"token": "  "}})
    assert blank.status_code == 400
    assert blank.json() == {
        "success": False,
        "error": "Token cannot be empty [error-invalid-token]",
        "errorType": "error-invalid-token",
        "details": {"method": "livechat/visitor"},
    }
    bad_email = anon.post("livechat/visitor", {"visitor": {"token": "t", "email": "not-an-email"}}).json()
    assert bad_email["error"] == "Invalid email not-an-email [error-invalid-email]"
    assert bad_email["errorType"] == "error-invalid-email"


def test_get_visitor_by_token(api: Api) -> None:
    visitor = register_visitor(api)

    found = api.anonymous().get(f"livechat/visitor/{visitor['token']}")
    unknown = api.anonymous().get("livechat/visitor/unknown-token")

    assert found.status_code == 200
    assert found.json() == {"visitor": visitor, "success": True}
    assert unknown.status_code == 400
    assert unknown.json() == {"success": False, "error": "[invalid-token]", "errorType": "invalid-token"}


def test_erasure_is_refused_while_a_conversation_is_open(api: Api) -> None:
    visitor = register_visitor(api)
    open_room(api, visitor["token"])

    response = api.anonymous().delete(f"livechat/visitor/{visitor['token']}")

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "Cannot remove visitors with opened rooms [visitor-has-open-rooms]",
        "errorType": "visitor-has-open-rooms",
    }


def test_erasure_removes_conversations_and_disables_the_contact(api: Api) -> None:
    visitor = register_visitor(api, name="Erase Me", email="erase@example.com")
    room = open_room(api, visitor["token"])
    send(api, visitor["token"], room["_id"], "please forget me")
    close_by_agent(api, room["_id"])

    response = api.anonymous().delete(f"livechat/visitor/{visitor['token']}")

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["visitor", "success"]
    assert body["visitor"]["_id"] == visitor["_id"]
    assert isinstance(body["visitor"]["ts"], str)
    assert api.anonymous().get(f"livechat/visitor/{visitor['token']}").status_code == 400
    gone = api.get("channels.info", params={"roomId": room["_id"]})
    assert gone.json()["errorType"] == "error-room-not-found"
    assert api.get("omnichannel/contacts.get", params={"contactId": room["contactId"]}).status_code == 404
    history = api.get("omnichannel/contacts.history", params={"contactId": room["contactId"]})
    assert history.json() == {"success": False, "error": "error-contact-not-found"}
    events = api.get("omnichannel/contacts.events", params={"contactId": room["contactId"]}).json()["events"]
    assert events[0]["type"] == "erased"
    assert events[0]["actor"] == {"type": "visitor", "_id": visitor["_id"]}


def test_erasure_with_the_setting_on_removes_open_conversations_too(api: Api) -> None:
    set_setting(api, "Livechat_Allow_collect_and_store_HTTP_header_informations", True)
    visitor = register_visitor(api)
    room = open_room(api, visitor["token"])

    response = api.anonymous().delete(f"livechat/visitor/{visitor['token']}")

    assert response.status_code == 200
    assert api.get("channels.info", params={"roomId": room["_id"]}).status_code == 400
    assert api.get("livechat/inquiries.getOne", params={"roomId": room["_id"]}).json()["inquiry"] is None


def test_erasing_with_an_id_instead_of_a_token_is_an_invalid_token(api: Api) -> None:
    visitor = register_visitor(api)

    response = api.anonymous().delete(f"livechat/visitor/{visitor['_id']}")

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "[invalid-token]", "errorType": "invalid-token"}


def test_an_unknown_department_is_refused(api: Api) -> None:
    response = api.anonymous().post("livechat/visitor", {"visitor": {"token": new_token(), "department": "sales"}})

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "The provided department is invalid [error-invalid-department]",
        "errorType": "error-invalid-department",
    }


def test_http_headers_are_never_stored(api: Api) -> None:
    set_setting(api, "Livechat_Allow_collect_and_store_HTTP_header_informations", True)

    visitor = register_visitor(api)

    assert not {"userAgent", "ip", "host"} & set(visitor)
