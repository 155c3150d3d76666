"""GET omnichannel/contacts.get: spec §2.7 and the seed document."""

from typing import Any

from tests.factories import contact_doc, store
from tests.support import FORBIDDEN, LOGGED_OUT, Api, RunningServer


def seed_example_contact() -> dict[str, Any]:
    """The example of the seed document, with real booleans where the example has strings."""
    return {
        "_id": "673c76df47a6c9b89dd263d8",
        "createdAt": "2024-11-19T11:30:39.710Z",
        "name": "John Doe",
        "channels": [
            {
                "name": "widget",
                "visitor": {"visitorId": "673c76df1e2e6feb77939c70", "source": {"type": "widget"}},
                "blocked": False,
                "verified": True,
                "details": {"type": "widget", "destination": "example.com"},
                "lastChat": {"_id": "ixnGsLNT8rTL9eYY3", "ts": "2024-11-19T11:30:39.724Z"},
                "field": "email",
                "value": "mail@example.com",
                "verifiedAt": "2024-11-19T11:31:58.997Z",
            }
        ],
        "customFields": {
            "social-number": "123456-12345",
            "address": "P.O. Box 123 3456 Home Rd. Somewhere in the world",
            "zip-code": "123456-099",
        },
        "unknown": False,
        "_updatedAt": "2024-11-19T11:33:55.424Z",
        "lastChat": {"_id": "ixnGsLNT8rTL9eYY3", "ts": "2024-11-19T11:30:39.724Z"},
        "conflictingFields": [],
        "emails": [{"address": "mail@example.com"}],
        "contactManager": "cbTgcixmLxYSdFmmZ",
        "phones": [],
    }


def test_answers_the_seed_example_exactly(api: Api, server: RunningServer) -> None:
    contact = seed_example_contact()
    store(server, [contact])

    response = api.get("omnichannel/contacts.get", {"contactId": contact["_id"]})

    assert response.status_code == 200
    assert response.json() == {"contact": contact, "success": True}
    assert list(response.json()) == ["contact", "success"]
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"


def test_absent_fields_stay_absent(api: Api, server: RunningServer) -> None:
    contact = contact_doc("Never Chatted")
    store(server, [contact])

    body = api.get("omnichannel/contacts.get", {"contactId": contact["_id"]}).json()["contact"]

    assert "lastChat" not in body
    assert "contactManager" not in body


def test_unknown_contact_is_404(api: Api) -> None:
    response = api.get("omnichannel/contacts.get", {"contactId": "invalid"})

    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "Resource not found"}


def test_disabled_contact_is_404(api: Api, server: RunningServer) -> None:
    contact = contact_doc("Gone", enabled=False)
    store(server, [contact])

    response = api.get("omnichannel/contacts.get", {"contactId": contact["_id"]})

    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "Resource not found"}


def test_missing_contact_id(api: Api) -> None:
    response = api.get("omnichannel/contacts.get")

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "must have required property 'contactId' [invalid-params]",
        "errorType": "invalid-params",
    }


def test_empty_or_blank_contact_id(api: Api) -> None:
    for value in ("", "   "):
        response = api.get("omnichannel/contacts.get", {"contactId": value})

        assert response.status_code == 400
        assert response.json() == {
            "success": False,
            "error": 'must pass "isNotEmpty" keyword validation [invalid-params]',
            "errorType": "invalid-params",
        }


def test_extra_parameter(api: Api) -> None:
    response = api.get("omnichannel/contacts.get", {"contactId": "abc", "visitor": "x"})

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "must NOT have additional properties [invalid-params]",
        "errorType": "invalid-params",
    }


def test_repeated_contact_id_is_not_a_string(api: Api) -> None:
    response = api.get("omnichannel/contacts.get", [("contactId", "a"), ("contactId", "b")])

    assert response.status_code == 400
    assert response.json()["error"] == "must be string [invalid-params]"


def test_no_credentials(api: Api) -> None:
    response = api.anonymous().get("omnichannel/contacts.get", {"contactId": "abc"})

    assert response.status_code == 401
    assert response.json() == LOGGED_OUT


def test_wrong_token_and_half_credentials(api: Api, server: RunningServer) -> None:
    wrong = api.as_user({"X-User-Id": server.admin_id, "X-Auth-Token": "not-a-token"})
    only_id = api.as_user({"X-User-Id": server.admin_id})

    for client in (wrong, only_id):
        response = client.get("omnichannel/contacts.get", {"contactId": "abc"})
        assert response.status_code == 401
        assert response.json() == LOGGED_OUT


def test_missing_permission_comes_before_bad_parameters(api: Api) -> None:
    api.set_permission("view-livechat-contact", [])

    response = api.get("omnichannel/contacts.get")

    assert response.status_code == 403
    assert response.json() == FORBIDDEN


def test_agents_may_read_plain_users_may_not(api: Api, server: RunningServer) -> None:
    contact = contact_doc("Shared")
    store(server, [contact])
    api.create_user("agent.one", roles=["user", "livechat-agent"])
    api.create_user("plain.one")

    agent = api.as_user(api.login("agent.one"))
    plain = api.as_user(api.login("plain.one"))

    assert agent.get("omnichannel/contacts.get", {"contactId": contact["_id"]}).status_code == 200
    denied = plain.get("omnichannel/contacts.get", {"contactId": contact["_id"]})
    assert denied.status_code == 403
    assert denied.json() == FORBIDDEN
